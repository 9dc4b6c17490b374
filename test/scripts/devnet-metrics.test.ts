// The devnet bench's and the soak's arithmetic on made-up events and samples: transfer overlap pairs
// batches with same-miner transfers, byte rates count each P2P transfer once, the soak verdict flags growth.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {p2pRate, storeRate, transferOverlap} from '../../scripts/bench-devnet/metrics.js';
import type {Ev} from '../../scripts/bench-devnet/ndjson.js';
import type {Sample} from '../../scripts/soak/sample.js';
import {growthPerHour, verdict} from '../../scripts/soak/verdict.js';

const ev = (event: string, at: number, rest: Record<string, unknown> = {}): Ev => ({event, at, hotkey: 'A', ...rest});

test('transfer overlap: batches during an upload of the same miner against its clean mean', () => {
	const events = [
		ev('batch', 1000, {direction: 'forward', ms: 100}),
		ev('batch', 2000, {direction: 'forward', ms: 100}),
		ev('upload', 2900, {kind: 'weights', state: 'uploading', bytes: 10}),
		ev('batch', 3200, {direction: 'forward', ms: 150}), // overlaps [2900, 3500]
		ev('upload', 3500, {kind: 'weights', state: 'done', bytes: 10}),
		ev('batch', 3300, {direction: 'forward', ms: 90, hotkey: 'B'}), // another miner's, clean: no overlapped batch of B to compare
	];
	assert.deepEqual(transferOverlap(events), {ratio: 1.5, overlapped: 1, clean: 3}); // clean counts B's too
	assert.equal(storeRate(events, 10).perBusyS, 10 / 0.6);
});

test('P2P bytes count once, at the sender', () => {
	const events = [ev('p2p', 1, {direction: 'out', bytes: 1000, ms: 10}), ev('p2p', 1, {direction: 'in', bytes: 1000, ms: 8})];
	const r = p2pRate(events, 2);
	assert.equal(r.bytes, 1000);
	assert.equal(r.perBusyS, 100_000);
	assert.equal(r.perWallS, 500);
});

const sample = (t: number, rss: number, batches = t * 10): Sample => ({t_min: t, at: '', procs: [{pid: 1, role: 'miner', rss_mb: rss, fds: 30}], queue_jobs: 0, queue_files: 0,
	log_bytes: 0, store_bytes: 0, db_bytes: 0, batches, merges: Math.floor(batches / 10), errors: 0});

test('soak verdict: flat within tolerance, growth named, too few samples undecided', () => {
	assert.equal(verdict([1, 2, 3, 4, 5, 6].map(t => sample(t, 500 + t)), 1).flat, true);
	const grew = verdict([1, 2, 3, 4, 5, 6].map(t => sample(t, 500 + t * 100)), 1);
	assert.equal(grew.flat, false);
	assert.match(grew.summary, /miner 1 rss_mb/);
	assert.equal(verdict([sample(1, 500)], 1).flat, null);
});

test('soak verdict: a swarm that stopped training is not flat, however still its memory', () => {
	const stalled = verdict([1, 2, 3, 4, 5, 6].map(t => sample(t, 500, Math.min(t, 3) * 10)), 1);
	assert.equal(stalled.flat, false);
	assert.equal(stalled.training?.still_training, false);
	assert.match(stalled.summary, /stalled: 0 batches, 0 merges in the last third/);
	assert.match(verdict([1, 2, 3, 4, 5, 6].map(t => sample(t, 500)), 1).summary, /still training \(20 batches, 2 merges/);
});

test('soak growth per hour from the first to the last sample', () => {
	const a = {...sample(1, 500), store_bytes: 0, log_bytes: 0}, b = {...sample(31, 500), store_bytes: 2 ** 20 * 50, log_bytes: 2 ** 20};
	assert.equal(growthPerHour([a, b]), 'growth per hour: store 100 MB, log 2.0 MB, db 0.0 MB');
	assert.equal(growthPerHour([a]), 'growth: not enough samples');
});
