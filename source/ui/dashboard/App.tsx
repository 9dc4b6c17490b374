// The stateful shell around <Dashboard>: a 250 ms snapshot tick (never a render per event),
// terminal size, keys, theme cycling and the quit confirmation.
import React, {useEffect, useState} from 'react';
import {useApp, useInput, useStdout} from 'ink';
import type {MinerStore} from '../../miner/types.js';
import {loadTheme, type Theme} from '../theme.js';
import {Dashboard, type DashboardView} from './Dashboard.js';
import {keyOfChunk} from '../inputs/line-edit.js';

export const THEME_CYCLE = ['dark', 'light', 'none'];

export function nextTheme(current: Theme, env: NodeJS.ProcessEnv = process.env): Theme {
	const i = THEME_CYCLE.indexOf(current.name);
	return loadTheme(THEME_CYCLE[(i + 1) % THEME_CYCLE.length], env); // NO_COLOR keeps returning "none"
}

export type AppProps = {
	store: MinerStore;
	theme: Theme;
	onQuit: () => Promise<void>;
	tickMs?: number;
	size?: {width: number; height: number}; // fixed size (tests); otherwise the terminal's, minus one row
	env?: NodeJS.ProcessEnv;
};

function useTerminalSize(fixed?: {width: number; height: number}) {
	const stdout = useStdout().stdout as NodeJS.WriteStream;
	// One row short of the screen: a frame as tall as the terminal makes Ink clear it on every redraw.
	const read = () => fixed ?? {width: stdout.columns || 80, height: Math.max(5, (stdout.rows || 24) - 1)};
	const [size, setSize] = useState(read);
	useEffect(() => {
		if (fixed) return;
		// Ink erases only the rows it drew last time; after a resize those are elsewhere: start clean.
		const onResize = () => {
			stdout.write('\x1b[2J\x1b[H');
			setSize(read());
		};
		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout, fixed]);
	return size;
}

export function DashboardApp({store, theme: initialTheme, onQuit, tickMs = 250, size: fixed, env}: AppProps) {
	const {exit} = useApp();
	const size = useTerminalSize(fixed);
	const [snap, setSnap] = useState(() => ({state: store.getState(), now: Date.now()}));
	const [theme, setTheme] = useState(initialTheme);
	const [view, setView] = useState<DashboardView>('main');
	const [scroll, setScroll] = useState(0);

	useEffect(() => {
		const timer = setInterval(() => setSnap({state: store.getState(), now: Date.now()}), tickMs);
		return () => clearInterval(timer);
	}, [store, tickMs]);

	const quit = () => {
		setView('stopping');
		// A failed stop still ends the app; startDashboard rejects with the error.
		onQuit().then(
			() => exit(),
			(error: unknown) => exit(error instanceof Error ? error : new Error(String(error))),
		);
	};

	useInput((chunk, key) => {
		if (view === 'stopping') return;
		// A key and Enter in one chunk ("y\r" over SSH or from tmux) is that key.
		const input = chunk.length > 1 ? keyOfChunk(chunk).key : chunk;
		if (view === 'quit') {
			if (input === 'y' || input === 'Y' || (key.ctrl && input === 'c')) quit();
			else if (input === 'n' || input === 'N' || key.escape) setView('main');
			return;
		}
		if (input === 'q' || (key.ctrl && input === 'c')) return setView('quit');
		if (input === 't') return setTheme(t => nextTheme(t, env));
		if (view === 'help') {
			if (input === '?' || key.escape || key.return) setView('main');
			else if (input === 'l') setView('log');
			return;
		}
		if (view === 'log') {
			const page = Math.max(1, size.height - 6);
			const max = Math.max(0, snap.state.log.length - 1);
			if (input === 'l' || key.escape) setView('main');
			else if (input === '?') setView('help');
			else if (key.upArrow || input === 'k') setScroll(s => Math.min(max, s + 1));
			else if (key.downArrow || input === 'j') setScroll(s => Math.max(0, s - 1));
			else if (key.pageUp) setScroll(s => Math.min(max, s + page));
			else if (key.pageDown) setScroll(s => Math.max(0, s - page));
			return;
		}
		if (input === '?') setView('help');
		else if (input === 'l') {
			setScroll(0);
			setView('log');
		}
	});

	return <Dashboard state={snap.state} theme={theme} width={size.width} height={size.height} view={view} now={snap.now} logScroll={scroll} />;
}
