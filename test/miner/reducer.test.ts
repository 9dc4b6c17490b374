// The miner reducer: every phase transition and failure event, bounded arrays, queue counters.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {LIMITS, initialMinerState, minerReducer} from '../../source/miner/reducer.js';
import {createMinerStore} from '../../source/miner/store.js';
import type {MinerEvent, MinerState, UploadItem} from '../../source/miner/types.js';

const at = 1_700_000_000_000;
const run = (events: MinerEvent[], s: MinerState = initialMinerState()) => events.reduce(minerReducer, s);
const item = (id: string, state: UploadItem['state'], bytes = 100): UploadItem => ({id, key: `activations/u/0/forward/${id}.bin`, kind: 'activation', bytes, attempts: state === 'failed' ? 3 : 1, state, error: state === 'failed' ? 'HTTP 500' : null, queuedAt: at});

const boot: MinerEvent[] = [
	{type: 'started', at, hotkey: '5Hot', network: 'devnet', chainUrl: 'ws://127.0.0.1:9944', orchestratorUrl: 'http://127.0.0.1:8010'},
	{type: 'chain_registered', uid: 4},
	{type: 'registered', layer: 1, version: 'devnet-1.0.0', at},
	{type: 'settings', settings: {batchesBeforeMerging: 3, layers: 3}},
];

test('start -> chain registration -> orchestrator registration -> training', () => {
	let s = minerReducer(initialMinerState(), boot[0]!);
	assert.equal(s.status, 'starting');
	assert.equal(s.hotkey, '5Hot');
	assert.equal(s.startedAt, at);
	s = minerReducer(s, boot[1]!);
	assert.equal(s.status, 'registering');
	assert.equal(s.uid, 4);
	s = minerReducer(s, boot[2]!);
	assert.equal(s.status, 'training');
	assert.equal(s.layer, 1);
	assert.equal(s.orchestratorVersion, 'devnet-1.0.0');
	s = run([boot[3]!, {type: 'backend', name: 'wasm', detail: 'SIMD, 2 threads'}], s);
	assert.equal(s.layers, 3);
	assert.deepEqual(s.backend, {name: 'wasm', detail: 'SIMD, 2 threads'});
	assert.deepEqual(s.settings, {batchesBeforeMerging: 3, layers: 3});
});

test('batches count forwards and backwards toward the merge, with throughput samples', () => {
	const s = run([
		...boot,
		{type: 'batch', direction: 'forward', activationUid: 'a', tokens: 1000, ms: 500, at},
		{type: 'batch', direction: 'backward', activationUid: 'a', tokens: 1000, ms: 250, at},
		{type: 'batch', direction: 'backward', activationUid: 'b', tokens: 1000, ms: 0, at},
	]);
	assert.equal(s.forwards, 1);
	assert.equal(s.backwards, 2);
	assert.equal(s.backwardsSinceMerge, 2);
	assert.deepEqual(s.tokensPerSec, [2000, 4000]);
});

test('the full merge cycle: training -> uploading_weights -> merging -> syncing -> merge_done -> training', () => {
	let s = run([...boot, {type: 'batch', direction: 'backward', activationUid: 'a', tokens: 1, ms: 1, at}]);
	s = minerReducer(s, {type: 'phase', layer: 1, phase: 'weights_uploading', at});
	assert.equal(s.status, 'uploading_weights');
	assert.equal(s.phase, 'weights_uploading');
	s = minerReducer(s, {type: 'waiting', what: 'the layer to start merging'});
	assert.equal(s.waitingFor, 'the layer to start merging');
	s = minerReducer(s, {type: 'phase', layer: 1, phase: 'miners_merging_partitions', at});
	assert.equal(s.status, 'merging');
	s = minerReducer(s, {type: 'phase', layer: 1, phase: 'is_training', at});
	assert.equal(s.status, 'syncing', 'back to training means downloading the merged layer first');
	assert.equal(s.backwardsSinceMerge, 1);
	s = minerReducer(s, {type: 'merge_done', layer: 1, epoch: 1, at});
	assert.equal(s.status, 'training');
	assert.equal(s.epoch, 1);
	assert.equal(s.backwardsSinceMerge, 0);
	assert.equal(s.phase, 'is_training');
	assert.match(s.log.at(-1)!.text, /merged, epoch 1/);
});

test('409 phase changes seen while training: weights_uploading straight away, or back to training after a timeout', () => {
	let s = run([...boot, {type: 'phase', layer: 1, phase: 'is_training', at}]);
	assert.equal(s.status, 'training', 'is_training while training stays training');
	s = minerReducer(s, {type: 'phase', layer: 1, phase: 'miners_merging_partitions', at});
	assert.equal(s.status, 'merging', 'a miner that missed the upload window joins at merging');
	s = minerReducer(s, {type: 'phase', layer: 1, phase: 'is_training', at});
	assert.equal(s.status, 'syncing');
	s = minerReducer(s, {type: 'batch', direction: 'forward', activationUid: 'x', tokens: 1, ms: 1, at});
	assert.equal(s.status, 'training', 'work after a phase timeout (no merge) means training');
	const logged = s.log.filter(l => /layer 1:/.test(l.text)).length;
	s = minerReducer(s, {type: 'phase', layer: 1, phase: 'is_training', at});
	assert.equal(s.log.filter(l => /layer 1:/.test(l.text)).length, logged, 'a repeated phase is not logged again');
});

test('uploads: upsert by id, counters from items, done counted once, bytes pending, backpressure flag', () => {
	let s = run([{type: 'upload', item: item('1', 'queued', 10)}, {type: 'upload', item: item('2', 'queued', 20)}]);
	assert.deepEqual(s.queue, {pending: 2, uploading: 0, failed: 0, done: 0, bytesPending: 30, full: false});
	s = run([{type: 'upload', item: item('1', 'uploading', 10)}, {type: 'upload', item: item('1', 'done', 10)}, {type: 'upload', item: item('1', 'done', 10)}], s);
	assert.equal(s.queue.done, 1);
	assert.equal(s.queue.pending, 1);
	assert.equal(s.queue.bytesPending, 20);
	s = minerReducer(s, {type: 'upload', item: item('2', 'failed', 20)});
	assert.equal(s.queue.failed, 1);
	assert.equal(s.uploads.length, 2);
	s = minerReducer(s, {type: 'waiting', what: 'upload queue full (2 pending)', queueFull: true});
	assert.equal(s.queue.full, true);
	s = minerReducer(s, {type: 'waiting', what: null, queueFull: false});
	assert.equal(s.queue.full, false);
	s = minerReducer(s, {type: 'published', key: 'k', activationUid: 'u', at});
	assert.equal(s.published, 1);
});

test('bounded arrays: losses, throughput, log and finished uploads; unfinished uploads are never dropped', () => {
	const events: MinerEvent[] = [];
	for (let i = 0; i < 500; i++) {
		events.push({type: 'loss', value: i, at});
		events.push({type: 'batch', direction: 'forward', activationUid: String(i), tokens: 10, ms: 10, at});
		events.push({type: 'log', level: 'info', text: `line ${i}`, at});
		events.push({type: 'upload', item: item(`q${i}`, i < 20 ? 'queued' : 'done')});
	}
	const s = run(events);
	assert.equal(s.losses.length, LIMITS.losses);
	assert.equal(s.losses.at(-1), 499);
	assert.equal(s.tokensPerSec.length, LIMITS.tokensPerSec);
	assert.equal(s.log.length, LIMITS.log);
	assert.equal(s.log.at(-1)!.text, 'line 499');
	assert.equal(s.uploads.length, LIMITS.uploads);
	assert.equal(s.uploads.filter(u => u.state === 'queued').length, 20);
	assert.equal(s.queue.pending, 20);
	assert.equal(s.queue.done, 480);
	assert.equal(s.uploads.at(-1)!.id, 'q499');
});

test('worker_crash then worker_restarted: the error stays visible, the wait clears, training goes on', () => {
	let s = run([...boot, {type: 'worker_crash', message: 'worker exited with code 1', at}]);
	assert.equal(s.status, 'training');
	assert.equal(s.waitingFor, 'the training worker to restart');
	assert.match(s.lastError!, /worker exited with code 1/);
	assert.equal(s.log.at(-1)!.level, 'error');
	s = minerReducer(s, {type: 'worker_restarted', at});
	assert.equal(s.waitingFor, null);
	assert.match(s.lastError!, /crashed/);
	assert.equal(s.log.at(-1)!.text, 'training worker restarted');
});

test('errors: non-fatal keeps the status and logs a warning; fatal sets error and later events do not revive it', () => {
	let s = run([...boot, {type: 'waiting', what: 'work'}, {type: 'error', message: 'orchestrator unreachable', fatal: false, at}]);
	assert.equal(s.status, 'training');
	assert.equal(s.waitingFor, 'work');
	assert.equal(s.lastError, 'orchestrator unreachable');
	assert.equal(s.log.at(-1)!.level, 'warn');
	s = minerReducer(s, {type: 'error', message: 'Orchestrator version mismatch.', fatal: true, at});
	assert.equal(s.status, 'error');
	assert.equal(s.waitingFor, null);
	assert.equal(s.log.at(-1)!.level, 'error');
	s = run([{type: 'phase', layer: 1, phase: 'weights_uploading', at}, {type: 'merge_done', layer: 1, epoch: 2, at}, {type: 'batch', direction: 'forward', activationUid: 'a', tokens: 1, ms: 1, at}], s);
	assert.equal(s.status, 'error');
	s = run([{type: 'stopping', at}, {type: 'stopped', at}], s);
	assert.equal(s.status, 'stopped');
});

test('stopping and stopped: no phase or batch moves the status back; stopped is final', () => {
	let s = run([...boot, {type: 'stopping', at}]);
	assert.equal(s.status, 'stopping');
	s = run([{type: 'phase', layer: 1, phase: 'weights_uploading', at}, {type: 'batch', direction: 'forward', activationUid: 'a', tokens: 1, ms: 1, at}], s);
	assert.equal(s.status, 'stopping');
	assert.equal(s.phase, 'weights_uploading', 'the phase itself is still recorded');
	s = run([{type: 'waiting', what: 'uploads to finish'}, {type: 'stopped', at}], s);
	assert.equal(s.status, 'stopped');
	assert.equal(s.waitingFor, null);
	s = run([{type: 'stopping', at}, {type: 'error', message: 'late', fatal: true, at}], s);
	assert.equal(s.status, 'stopped');
});

test('score, heartbeat and learning rate', () => {
	const s = run([
		{type: 'score', score: 3, incentive: 0.25, emission: '1000', emulated: true, at},
		{type: 'heartbeat', at: at + 5},
		{type: 'lr', value: 2e-4},
	]);
	assert.deepEqual(s.score, {score: 3, incentive: 0.25, emission: '1000', emulated: true, at});
	assert.equal(s.lastHeartbeat, at + 5);
	assert.equal(s.learningRate, 2e-4);
});

test('the store reduces, notifies with state and event, unsubscribes, and survives a throwing listener', () => {
	const store = createMinerStore();
	const seen: string[] = [];
	store.subscribe(() => {
		throw new Error('bad view');
	});
	const off = store.subscribe((state, event) => seen.push(`${event.type}:${state.status}`));
	store.dispatch(boot[0]!);
	store.dispatch(boot[1]!);
	off();
	store.dispatch(boot[2]!);
	assert.deepEqual(seen, ['started:starting', 'chain_registered:registering']);
	assert.equal(store.getState().status, 'training');
});
