// One-question Ink prompts and a spinner for plain commands. They refuse to run without a TTY,
// so automation never hangs waiting for input.
import React from 'react';
import {render, Box, Text} from 'ink';
import {Spinner} from '@inkjs/ui';
import {LineInput} from './inputs/LineInput.js';
import {YesNo} from './inputs/YesNo.js';
import {UsageError} from '../errors.js';

import {inkCanDraw, interactive, noTerminal} from './terminal.js';

function ask<T>(missing: string, view: (done: (value: T) => void) => React.ReactElement): Promise<T> {
	if (!interactive()) return Promise.reject(new UsageError(`${noTerminal('to ask on')}: ${missing}`));
	return new Promise<T>(resolve => {
		let result: T;
		const app = render(view(value => {
			result = value;
			app.unmount();
		}));
		void app.waitUntilExit().then(() => resolve(result));
	});
}

export const promptPassword = (label: string, missing: string) =>
	ask<string>(missing, done => (
		<Box><Text>{label} </Text><LineInput mask="*" onSubmit={done} /></Box>
	));

export const promptText = (label: string, missing: string, hidden = false) =>
	ask<string>(missing, done => (
		<Box><Text>{label} </Text>{hidden ? <LineInput mask="*" onSubmit={done} /> : <LineInput onSubmit={done} />}</Box>
	));

export const promptConfirm = (label: string, missing: string) =>
	ask<boolean>(missing, done => (
		<Box><Text>{label} </Text><YesNo onConfirm={() => done(true)} onCancel={() => done(false)} /></Box>
	));

// Shows a spinner while work runs (a plain line without a TTY); stderr keeps stdout clean for --json.
export async function withSpinner<T>(label: string, work: () => Promise<T>): Promise<T> {
	if (!process.stderr.isTTY || !inkCanDraw()) {
		process.stderr.write(`${label}…\n`);
		return work();
	}
	const app = render(<Spinner label={`${label}…`} />, {stdout: process.stderr as unknown as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: false});
	try {
		return await work();
	} finally {
		app.clear();
		app.unmount();
	}
}
