// The live shell (DashboardApp) over a real store: keys ? l t q n y, resize, and the snapshot
// tick (many events between ticks give one redraw, not one per event).
import {test, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import {DashboardApp} from '../../source/ui/dashboard/index.js';
import {loadTheme} from '../../source/ui/theme.js';
import {NOW, trainingStore} from './fixtures.js';
import {renderAt, resizeTo, tick, waitFor} from './render.js';

const mounted: {unmount(): void}[] = [];
afterEach(() => {
	for (const m of mounted.splice(0)) m.unmount();
});

async function start(opts: {onQuit?: () => Promise<void>; env?: NodeJS.ProcessEnv; tickMs?: number; columns?: number; rows?: number} = {}) {
	const store = trainingStore();
	let quits = 0;
	const onQuit = opts.onQuit ?? (async () => void quits++);
	const app = renderAt(
		<DashboardApp store={store} theme={loadTheme('dark', {})} onQuit={onQuit} env={opts.env ?? {}} tickMs={opts.tickMs ?? 40} />,
		opts.columns ?? 100,
		opts.rows ?? 31,
	);
	mounted.push(app);
	// Ink attaches its stdin listener in an effect after the first frame: keys before it are lost.
	while (app.stdin.listenerCount('readable') === 0) await tick(10);
	const press = async (keys: string) => {
		app.stdin.write(keys);
		await tick(100); // Ink throttles redraws to 30 fps in tests: wait past one frame
	};
	return {app, store, press, frame: app.frame, quits: () => quits};
}

test('? opens help and closes it again', async () => {
	const {press, frame} = await start();
	await waitFor(frame, /Batches toward merge/);
	await press('?');
	assert.match(frame(), /Keys/);
	assert.doesNotMatch(frame(), /Batches toward merge/);
	await press('?');
	assert.match(frame(), /Batches toward merge/);
});

test('l shows the full log, scrolls, and l goes back', async () => {
	const {press, frame} = await start();
	await press('l');
	assert.match(frame(), /Log \(8 lines · ↑ ↓/);
	assert.match(frame(), /upload retry: HTTP 503 from store/);
	await press('\u001B[A'); // up: one line back from the end
	assert.match(frame(), /1 up from the end/);
	assert.doesNotMatch(frame(), /upload retry/);
	await press('l');
	assert.match(frame(), /Upload queue/);
});

test('t cycles dark -> light -> none -> dark; NO_COLOR stays none', async () => {
	const {press, frame} = await start();
	assert.match(frame(), /theme \(dark\)/);
	await press('t');
	assert.match(frame(), /theme \(light\)/);
	await press('t');
	assert.match(frame(), /theme \(none\)/);
	await press('t');
	assert.match(frame(), /theme \(dark\)/);

	const nc = await start({env: {NO_COLOR: '1'}});
	await nc.press('t');
	assert.match(nc.frame(), /theme \(none\)/);
});

test('q explains what stops and what is lost, then n stays', async () => {
	const {press, frame, quits} = await start();
	await press('q');
	assert.match(frame(), /Quit the miner\?/);
	assert.match(frame(), /current batch is dropped/);
	assert.match(frame(), /4 pending uploads \(8\.0 MB\) stay queued on disk and resume at the next start/);
	await press('n');
	assert.match(frame(), /Batches toward merge/);
	assert.equal(quits(), 0);
});

test('q then y calls onQuit once and shows stopping; keys meanwhile do nothing', async () => {
	let release!: () => void;
	let calls = 0;
	const onQuit = () => {
		calls++;
		return new Promise<void>(resolve => (release = resolve));
	};
	const {press, frame} = await start({onQuit});
	await press('q');
	await press('y');
	assert.equal(calls, 1);
	assert.match(frame(), /Stopping the miner/);
	await press('y');
	await press('\u0003');
	assert.equal(calls, 1, 'keys while stopping do not quit twice');
	release();
});

test('Ctrl+C asks like q; Ctrl+C again confirms', async () => {
	const {press, frame, quits} = await start();
	await press('\u0003');
	assert.match(frame(), /Quit the miner\?/);
	await press('\u0003');
	await waitFor(() => String(quits()), /1/);
});

test('resize re-lays out from the terminal size (100x31 -> 60x20 -> 120x40)', async () => {
	const {app, frame} = await start({columns: 100, rows: 31});
	assert.match(frame(), /Batches toward merge/);
	resizeTo(app, 60, 21);
	await waitFor(frame, /Batches █+░+ 7\/10 to merge/);
	assert.ok(frame().split('\n').length <= 20, 'one row short of the terminal');
	for (const l of frame().split('\n')) assert.ok(l.length <= 60, l);
	resizeTo(app, 120, 41);
	await waitFor(frame, /Loss and throughput/);
});

test('redraws come from the snapshot tick, not from each event', async () => {
	const {app, store, frame} = await start({tickMs: 100});
	await tick(150);
	const before = app.stdout.frames.length;
	for (let i = 0; i < 300; i++) store.dispatch({type: 'heartbeat', at: NOW + i});
	for (let i = 0; i < 3; i++) store.dispatch({type: 'batch', direction: 'backward', activationUid: `z${i}`, tokens: 2048, ms: 900, at: NOW});
	assert.equal(app.stdout.frames.length, before, 'no redraw inside dispatch');
	await waitFor(frame, /10\/10, merge pending/);
	assert.ok(app.stdout.frames.length - before <= 3, `${app.stdout.frames.length - before} frames for 303 events`);
});
