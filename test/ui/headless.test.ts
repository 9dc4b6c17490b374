// Headless output over the real store: plain lines (no escape codes, timestamped, no per-upload
// flood, periodic summary) and NDJSON with the exact field names outside tools check.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Writable} from 'node:stream';
import {startHeadless} from '../../source/ui/headless.js';
import {createMinerStore} from '../../source/miner/store.js';
import {HOTKEY, T0, trainingEvents} from './fixtures.js';
import {tick} from './render.js';

function sink() {
	let text = '';
	const out = new Writable({
		write(chunk, _enc, cb) {
			text += String(chunk);
			cb();
		},
	});
	return {out, lines: () => text.split('\n').filter(Boolean), text: () => text};
}

const colourLog = {type: 'log', level: 'warn', text: '\u001B[31mred\u001B[0m text\nsecond line', at: T0} as const;
const fatal = {type: 'error', message: 'orchestrator unreachable', fatal: false, at: T0} as const;

function feed(json: boolean, summaryMs = 0, hotkey?: string) {
	const store = createMinerStore();
	const s = sink();
	const stop = startHeadless(store, {json, out: s.out, hotkey, summaryMs, now: () => T0 + 60_000});
	for (const e of trainingEvents()) store.dispatch(e);
	store.dispatch(colourLog);
	store.dispatch(fatal);
	return {store, stop, ...s};
}

test('plain: timestamped lines, no escape codes at all', () => {
	const {lines, text, stop} = feed(false);
	stop();
	assert.ok(!text().includes('\u001B'), 'no ESC byte anywhere');
	for (const l of lines()) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S/, l);
	const all = text();
	assert.match(all, /^2026-11-26T22:00:01Z started hotkey 5FHne\S+ network devnet/m);
	assert.match(all, /Z batch backward layer 1 3\/10 2048 tokens \d+ ms/);
	assert.match(all, /Z batch backward layer 1 7\/10 /);
	assert.match(all, /Z phase layer 1 weights_uploading$/m);
	assert.match(all, /Z merge done layer 1 epoch 1$/m);
	assert.match(all, /Z loss \d\.\d{4} layer 1$/m);
	assert.match(all, /Z score 0\.8123 incentive 0\.012345 emission 0\.4100 τ \(devnet-emulated\)$/m);
	assert.match(all, /Z warn red text second line$/m, 'log text flattened to one plain line');
	assert.match(all, /Z warn orchestrator unreachable$/m);
	assert.match(all, /Z waiting for work from the orchestrator$/m);
});

test('plain: upload state changes are summarised, not printed one by one', () => {
	const {text, stop} = feed(false);
	stop();
	const uploadLines = text()
		.split('\n')
		.filter(l => /\bupload\b/.test(l) && !/retry/.test(l));
	// 19 upload events in the fixture; only the failure gets its own line.
	assert.equal(uploadLines.length, 1, uploadLines.join('\n'));
	assert.match(uploadLines[0], /warn upload failed activations\/\S+ attempt 3: HTTP 503 from store/);
});

test('plain: a periodic one-line summary', async () => {
	const {text, stop} = feed(false, 40);
	await tick(120);
	stop();
	const summary = text()
		.split('\n')
		.find(l => l.includes(' summary '));
	assert.ok(summary, text());
	assert.match(summary, /summary training · layer 1\/3 · epoch 1 · is_training · batches 7\/10 · fwd 17 bwd 17 · \S+ tok\/s · loss \d\.\d{4} · uploads 3 queued 1 uploading 1 failed 5 done \(\+5\) 8\.0 MB waiting · published 4 · heartbeat \S+ ago · waiting for work from the orchestrator/);
	assert.ok(!text().includes('\u001B'));
});

test('plain: backpressure on and off is one line each', () => {
	const {store, text, stop} = feed(false);
	store.dispatch({type: 'waiting', what: 'upload queue space', queueFull: true});
	store.dispatch({type: 'waiting', what: 'upload queue space', queueFull: true});
	store.dispatch({type: 'waiting', what: null, queueFull: false});
	stop();
	assert.equal(text().match(/upload backpressure: compute waits for uploads \(4 pending, 8\.0 MB\)/g)?.length, 1);
	assert.equal(text().match(/upload backpressure cleared/g)?.length, 1);
});

test('json: every line parses, with the exact fields outside tools read', () => {
	const {lines, stop} = feed(true);
	stop();
	const events = lines().map(l => JSON.parse(l) as Record<string, unknown>);
	const of = (name: string) => events.filter(e => e.event === name);
	const has = (e: Record<string, unknown>, keys: string[]) => keys.forEach(k => assert.ok(k in e, `${String(e.event)} lacks ${k}: ${JSON.stringify(e)}`));

	const batches = of('batch');
	assert.equal(batches.length, 34);
	batches.forEach(b => has(b, ['hotkey', 'layer', 'direction', 'backwards_since_merge', 'batches_before_merging']));
	assert.deepEqual(
		{...batches[1], ts: undefined},
		{event: 'batch', hotkey: HOTKEY, layer: 1, direction: 'backward', backwards_since_merge: 1, batches_before_merging: 10, activation_uid: 'a0', tokens: 2048, ms: 900, ts: undefined},
	);
	const uploads = of('upload');
	assert.equal(uploads.length, 19, 'json keeps every upload state change');
	uploads.forEach(u => has(u, ['hotkey', 'key', 'bytes', 'state']));
	assert.ok(uploads.some(u => u.state === 'failed' && u.attempts === 3));
	assert.deepEqual(
		of('phase').map(p => [p.layer, p.phase]),
		[
			[1, 'is_training'],
			[1, 'weights_uploading'],
			[1, 'miners_merging_partitions'],
			[1, 'is_training'],
		],
	);
	assert.deepEqual(
		of('merge_done').map(m => ({layer: m.layer, epoch: m.epoch})),
		[{layer: 1, epoch: 1}],
	);
	of('loss').forEach(l => {
		has(l, ['value', 'hotkey']);
		assert.equal(typeof l.value, 'number');
	});
	const [score] = of('score');
	assert.deepEqual({hotkey: score.hotkey, score: score.score, incentive: score.incentive}, {hotkey: HOTKEY, score: 0.8123, incentive: 0.012345});
	assert.equal(score.emulated, true);
	assert.deepEqual(
		of('log').map(l => [l.level, l.text]),
		[
			['warn', 'upload retry: HTTP 503 from store'],
			['warn', colourLog.text],
		],
	);
	assert.deepEqual(of('error')[0], {event: 'error', hotkey: HOTKEY, message: 'orchestrator unreachable', fatal: false, ts: of('error')[0].ts});
	assert.equal(of('heartbeat').length, 0, 'heartbeats are not events worth a line');
	for (const e of events) assert.match(String(e.ts), /^\d{4}-\d\d-\d\dT/);
});

test('json: the hotkey option names the miner; summary is an event too', async () => {
	const {lines, stop} = feed(true, 40, 'miner-a');
	await tick(120);
	stop();
	const events = lines().map(l => JSON.parse(l) as Record<string, unknown>);
	assert.ok(events.filter(e => 'hotkey' in e).every(e => e.hotkey === 'miner-a'));
	const summary = events.find(e => e.event === 'summary');
	assert.ok(summary);
	assert.equal(summary.backwards_since_merge, 7);
	assert.equal(summary.batches_before_merging, 10);
});

test('unsubscribe stops all output', () => {
	const {store, lines, stop} = feed(false);
	stop();
	const n = lines().length;
	store.dispatch({type: 'log', level: 'info', text: 'after stop', at: T0});
	assert.equal(lines().length, n);
});

test('current protocol: run and p2p events as NDJSON {event:"p2p", direction, peer, bytes, ms, hash_ok}; plain shows only hash failures; summary counts', () => {
	const store = createMinerStore();
	const json = sink();
	const plain = sink();
	const stops = [startHeadless(store, {json: true, out: json.out, now: () => T0}), startHeadless(store, {json: false, out: plain.out, now: () => T0})];
	store.dispatch({type: 'run', protocol: 'current', runId: 'devnet-run'});
	store.dispatch({type: 'p2p', direction: 'in', peer: 'a'.repeat(64), bytes: 4096, ms: 12.4, hashOk: true, at: T0});
	store.dispatch({type: 'p2p', direction: 'out', peer: 'b'.repeat(64), bytes: 1000, ms: 7, hashOk: false, at: T0});
	stops.forEach(s => s());
	const events = json.lines().map(l => JSON.parse(l) as Record<string, unknown>);
	assert.deepEqual(events.map(e => ({...e, ts: undefined})), [
		{event: 'run', hotkey: null, protocol: 'current', run_id: 'devnet-run', ts: undefined},
		{event: 'p2p', hotkey: null, direction: 'in', peer: 'a'.repeat(64), bytes: 4096, ms: 12, hash_ok: true, ts: undefined},
		{event: 'p2p', hotkey: null, direction: 'out', peer: 'b'.repeat(64), bytes: 1000, ms: 7, hash_ok: false, ts: undefined},
	]);
	const text = plain.lines().join('\n');
	assert.match(text, /protocol current run devnet-run$/m);
	assert.match(text, /warn p2p out bbbbbbbbbbbb: BLAKE3 hash mismatch \(1000 bytes\)$/m);
	assert.equal(plain.lines().filter(l => / p2p in /.test(l)).length, 0, 'good transfers are not a line each');
	const s = store.getState();
	assert.deepEqual(s.p2p, {in: 1, out: 1, bytesIn: 4096, bytesOut: 1000, hashFailures: 1, lastMs: 7});
	assert.equal(s.protocol, 'current');
});
