// The pure <Dashboard> over a state built by the real reducer from real event sequences, at
// 120x40, 80x24, 60x20 and smaller; colour and NO_COLOR; every view.
import './force-color.js';
import {test} from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import {Dashboard, type DashboardView} from '../../source/ui/dashboard/index.js';
import {loadTheme} from '../../source/ui/theme.js';
import {createMinerStore} from '../../source/miner/store.js';
import type {MinerState} from '../../source/miner/types.js';
import {NOW, trainingStore} from './fixtures.js';
import {renderAt} from './render.js';

const none = loadTheme('none');
const dark = loadTheme('dark');

function draw(state: MinerState, width: number, height: number, view: DashboardView = 'main', theme = none) {
	const app = renderAt(<Dashboard state={state} theme={theme} width={width} height={height} view={view} now={NOW} />, width, height);
	const raw = app.lastFrame() ?? '';
	const frame = app.frame();
	app.unmount();
	if (process.env.SHOW_FRAMES) console.log(`--- ${width}x${height} ${view}\n${frame}`);
	const lines = frame.split('\n');
	assert.ok(lines.length <= height, `${lines.length} lines > ${height}`);
	for (const l of lines) assert.ok(l.length <= width, `line wider than ${width}: ${l}`);
	return {frame, raw};
}

const state = trainingStore().getState();
const COLOUR = /\u001B\[(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/; // SGR foreground/background

test('120x40: status bar, every panel, sparklines and log', () => {
	const {frame} = draw(state, 120, 40);
	for (const s of ['● training', 'devnet', 'hotkey 5FHneW…M694ty', 'uid 3', 'layer 1 of 3', 'epoch 1', 'is_training', '♥ 2s ago', 'waiting for work from the orchestrator']) {
		assert.ok(frame.includes(s), `status bar lacks "${s}"`);
	}
	assert.match(frame, /Layer 1 of 3/);
	assert.match(frame, /backend webgpu/);
	assert.match(frame, /NVIDIA H100/);
	assert.match(frame, /Batches toward merge/);
	assert.match(frame, /█{20,}░+/, 'progress bar');
	assert.match(frame, /7\/10 backward passes before merge/);
	assert.match(frame, /Upload queue 3 pending · 1 uploading · 1 failed · 5 done · 8\.0 MB/);
	assert.match(frame, /uploading\s+activation\s+2\.0 MB\s+1 activations\/3\/1/);
	assert.match(frame, /failed .*\(HTTP 503 from store\)/, 'a failed item shows its error');
	assert.match(frame, /Score devnet-emulated/);
	assert.match(frame, /orchestrator 0\.8123/);
	assert.match(frame, /incentive 0\.012345 \(devnet-emulated\)/);
	assert.match(frame, /updated 22:00:45Z \(4s ago\)/);
	assert.match(frame, /Loss and throughput/);
	assert.match(frame, /[▁▂▃▄▅▆▇█]{10,}/, 'sparkline');
	assert.match(frame, /Recent log/);
	assert.match(frame, /upload retry: HTTP 503/);
	assert.match(frame, /\? help · l log · t theme \(none\) · q quit/);
});

test('80x24: sparklines dropped; status, batch progress, queue and score kept', () => {
	const {frame} = draw(state, 80, 24);
	assert.doesNotMatch(frame, /Loss and throughput/);
	assert.match(frame, /● training/);
	assert.match(frame, /waiting for work from the orchestrator/);
	assert.match(frame, /Batches toward merge/);
	assert.match(frame, /7\/10/);
	assert.match(frame, /Upload queue 3 pending/);
	assert.match(frame, /uploading\s+activation/);
	assert.match(frame, /devnet-emulated/);
	assert.match(frame, /q quit/);
});

test('60x20: one-line summaries without borders, queue rows, then log', () => {
	const {frame} = draw(state, 60, 20);
	assert.doesNotMatch(frame, /╭/);
	assert.match(frame, /Batches █+░+ 7\/10 to merge/);
	assert.match(frame, /Queue 3 pending · 1 up · 1 failed · 8\.0 MB/);
	assert.match(frame, /Score 0\.8123 .* devnet-emulated/);
	assert.match(frame, /Layer 1 of 3 · is_training · webgpu/);
	assert.match(frame, /state\s+size tries key/);
	assert.match(frame, /q quit/);
});

test('40x10: status bar and batch progress survive', () => {
	const {frame} = draw(state, 40, 10);
	assert.match(frame, /● training/);
	assert.match(frame, /Batches .*7\/10/);
	assert.match(frame, /Queue 3 pending/);
});

test('backpressure is marked at every size', () => {
	const store = trainingStore([{type: 'waiting', what: 'upload queue space', queueFull: true}]);
	for (const [w, h] of [
		[120, 40],
		[80, 24],
		[60, 20],
	]) {
		const {frame} = draw(store.getState(), w, h);
		assert.match(frame, /BACKPRESSURE|backpressure/, `${w}x${h}`);
		assert.match(frame, /waiting for upload queue space/);
	}
});

test('a fresh miner (no events yet) renders placeholders', () => {
	const {frame} = draw(createMinerStore().getState(), 100, 30);
	assert.match(frame, /● starting/);
	assert.match(frame, /no score yet/);
	assert.match(frame, /queue empty/);
	assert.match(frame, /0\/\?/);
});

test('a score that is not emulated is not labelled devnet-emulated', () => {
	const store = trainingStore([{type: 'score', score: 0.5, incentive: 0.001, emission: '0.1 τ', emulated: false, at: NOW}]);
	const {frame} = draw(store.getState(), 120, 40);
	assert.doesNotMatch(frame, /devnet-emulated/);
	assert.match(frame, /\(on chain\)/);
});

test('the none theme (NO_COLOR) emits no colour codes; dark does', () => {
	for (const view of ['main', 'help', 'log', 'quit'] as const) {
		assert.doesNotMatch(draw(state, 120, 40, view, none).raw, COLOUR, view);
		assert.doesNotMatch(draw(state, 60, 20, view, none).raw, COLOUR, view);
	}
	assert.match(draw(state, 120, 40, 'main', dark).raw, COLOUR, 'colour is on in this test run');
	assert.equal(loadTheme('dark', {NO_COLOR: '1'}).name, 'none');
});

test('help, log and quit views', () => {
	assert.match(draw(state, 80, 24, 'help').frame, /Keys[\s\S]*t\s+next theme[\s\S]*q\s+quit/);
	const log = draw(state, 80, 24, 'log').frame;
	assert.match(log, /Log \(8 lines/);
	assert.match(log, /layer 1: merged, epoch 1/);
	const quit = draw(state, 80, 24, 'quit').frame;
	assert.match(quit, /Quit the miner\?/);
	assert.match(quit, /lost: the current batch is dropped/);
	assert.match(quit, /kept: 4 pending uploads \(8\.0 MB\) stay queued on disk/);
	assert.match(quit, /y quit · n stay/);
});

test('quitting mid-merge says the merge step stops', () => {
	const store = trainingStore([{type: 'phase', layer: 1, phase: 'miners_merging_partitions', at: NOW}]);
	assert.match(draw(store.getState(), 120, 40, 'quit').frame, /the merging step in progress stops/);
});

const currentStore = (hashOk = true) =>
	trainingStore([
		{type: 'run', protocol: 'current', runId: 'run-7'},
		{type: 'p2p', direction: 'in', peer: 'peer-a', bytes: 4 * 1024 * 1024, ms: 120, hashOk: true, at: NOW - 2000},
		{type: 'p2p', direction: 'out', peer: 'peer-b', bytes: 2 * 1024 * 1024, ms: 85, hashOk, at: NOW - 1000},
	]);

test('current protocol: the header names the protocol and run; the transfers panel has a P2P line at every tier', () => {
	const state = currentStore().getState();
	for (const [w, h] of [
		[120, 40],
		[100, 30],
		[80, 24],
		[72, 18],
		[60, 20],
	]) {
		const {frame} = draw(state, w, h);
		assert.match(frame, /current · run run-7/, `${w}x${h} header`);
		assert.match(frame, /P2P in 1 \(4\.0 MB\) · out 1 \(2\.0 MB\) · hash/, `${w}x${h} P2P line`);
		// What always stays still stays.
		assert.match(frame, /● training/);
		assert.match(frame, /7\/10/);
		assert.match(frame, /q quit/);
	}
	const full = draw(state, 120, 40).frame;
	assert.match(full, /hash failures 0 · last 85 ms/);
	assert.match(full, /uploading\s+activation/, 'the queue table keeps its rows under the P2P line');
	assert.match(full, /Recent log/);
	assert.match(draw(state, 80, 24).frame, /Upload queue 3 pending/);
	const tiny = draw(state, 40, 10).frame;
	assert.match(tiny, /Batches .*7\/10/);
	assert.match(tiny, /Queue 3 pending/);
});

test('a P2P hash failure is coloured as a warning', () => {
	const {raw} = draw(currentStore(false).getState(), 120, 40, 'main', dark);
	assert.match(raw, /hash failures 1/);
	const plain = draw(currentStore(true).getState(), 120, 40, 'main', dark).raw;
	const line = (frame: string) => frame.split('\n').find(l => l.includes('P2P in'))!;
	assert.notEqual(line(raw), line(plain), 'the failing line is drawn differently');
});

test('v1 (or a protocol not reported yet): the header names v1 or nothing; no P2P line', () => {
	const v1 = trainingStore([{type: 'run', protocol: 'v1', runId: null}]).getState();
	for (const [w, h] of [
		[120, 40],
		[80, 24],
		[60, 20],
	]) {
		const {frame} = draw(v1, w, h);
		assert.match(frame, /devnet {2}v1 {2}hotkey/, `${w}x${h}`);
		assert.doesNotMatch(frame, /P2P/);
	}
	const unknown = draw(state, 120, 40).frame;
	assert.doesNotMatch(unknown, /P2P|current|v1 /);
});
