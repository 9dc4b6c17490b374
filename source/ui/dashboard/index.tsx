// Entry points the runtime calls: startDashboard (live, alternate screen) and the pure Dashboard.
import {constants} from 'node:os';
import React from 'react';
import {render} from 'ink';
import type {MinerStore} from '../../miner/types.js';
import type {Theme} from '../theme.js';
import {DashboardApp} from './App.js';
import {enterAltScreen} from './screen.js';

export {Dashboard, type DashboardProps, type DashboardView} from './Dashboard.js';
export {DashboardApp} from './App.js';
export {sparkline, progressBar} from './sparkline.js';

export type DashboardOptions = {theme: Theme; onQuit: () => Promise<void>; stdout?: NodeJS.WriteStream; stdin?: NodeJS.ReadStream};

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

// Resolves once the user has quit and onQuit has finished (or the app was stopped by a signal).
// onQuit is called at most once. A second signal while stopping restores the screen and exits.
export async function startDashboard(store: MinerStore, opts: DashboardOptions): Promise<void> {
	const stdout = opts.stdout ?? process.stdout;
	const stdin = opts.stdin ?? process.stdin;
	let quitting: Promise<void> | null = null;
	const onQuit = () => (quitting ??= opts.onQuit());

	const restore = enterAltScreen(stdout);
	const app = render(<DashboardApp store={store} theme={opts.theme} onQuit={onQuit} />, {
		stdout,
		stdin,
		exitOnCtrlC: false, // Ctrl+C asks first, like q
		maxFps: 8,
		incrementalRendering: false, // true left stale rows in tmux when the status bar changed height
	});
	let failure: unknown = null;
	const onSignal = (signal: NodeJS.Signals) => {
		if (quitting) {
			restore();
			process.exit(128 + (constants.signals[signal] ?? 15));
		}
		onQuit()
			.catch((error: unknown) => (failure = error))
			.finally(() => app.unmount());
	};
	for (const s of SIGNALS) process.on(s, onSignal);
	try {
		await app.waitUntilExit();
		if (failure) throw failure;
	} finally {
		for (const s of SIGNALS) process.off(s, onSignal);
		app.cleanup();
		restore();
	}
}
