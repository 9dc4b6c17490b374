// ink-testing-library's fake stdout is always 100 columns and has no rows. Ink sizes its root from
// stdout.columns on every layout, so tests pick the terminal size here (and emit 'resize' to
// change it live, as a terminal would).
import React, {type ReactElement} from 'react';
import {Text} from 'ink';
import {render} from 'ink-testing-library';
import {stripVTControlCharacters} from 'node:util';

let size = {columns: 100, rows: 24};
let patched = false;

export function renderAt(node: ReactElement, columns: number, rows: number) {
	size = {columns, rows};
	if (!patched) {
		const probe = render(<Text />);
		const proto = Object.getPrototypeOf(probe.stdout) as object;
		Object.defineProperty(proto, 'columns', {get: () => size.columns, configurable: true});
		Object.defineProperty(proto, 'rows', {get: () => size.rows, configurable: true});
		probe.unmount();
		patched = true;
	}
	const app = render(node);
	const frame = () => stripVTControlCharacters(app.lastFrame() ?? '');
	return {...app, frame};
}

export function resizeTo(app: {stdout: {emit(e: string): boolean}}, columns: number, rows: number) {
	size = {columns, rows};
	app.stdout.emit('resize');
}

export const tick = (ms = 30) => new Promise(resolve => setTimeout(resolve, ms));

// Polls until the frame matches (bounded, never hangs the suite).
export async function waitFor(frame: () => string, pattern: RegExp, ms = 3000): Promise<string> {
	const deadline = Date.now() + ms;
	for (;;) {
		const f = frame();
		if (pattern.test(f)) return f;
		if (Date.now() > deadline) throw new Error(`no frame matched ${pattern} within ${ms} ms; last frame:\n${f}`);
		await tick(20);
	}
}
