// Real MinerEvent sequences fed through the real reducer/store: a miner on layer 1 of 3 that
// merged once and is 7 backward passes into the next 10, with a busy upload queue and a score.
import {createMinerStore} from '../../source/miner/store.js';
import type {MinerEvent, MinerStore, UploadItem} from '../../source/miner/types.js';

export const T0 = Date.parse('2026-11-26T22:00:00Z');
export const HOTKEY = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
export const BATCHES = 10;

const upload = (n: number, state: UploadItem['state'], over: Partial<UploadItem> = {}): UploadItem => ({
	id: `u${n}`,
	key: `activations/3/1/forward/0b5c1c9e-3f7e-4b52-9d6a-${String(n).padStart(12, '0')}.bin`,
	kind: 'activation',
	bytes: 2 * 1024 * 1024,
	attempts: state === 'queued' ? 0 : 1,
	state,
	error: null,
	queuedAt: T0 + n * 1000,
	...over,
});

export function trainingEvents(): MinerEvent[] {
	let t = T0;
	const at = (dt = 1000) => (t += dt);
	const ev: MinerEvent[] = [
		{type: 'started', at: at(), hotkey: HOTKEY, network: 'devnet', chainUrl: 'ws://127.0.0.1:9944', orchestratorUrl: 'http://127.0.0.1:8000'},
		{type: 'chain_registered', uid: 3},
		{type: 'settings', settings: {batchesBeforeMerging: BATCHES, layers: 3}},
		{type: 'backend', name: 'webgpu', detail: 'NVIDIA H100 80GB HBM3 (Vulkan)'},
		{type: 'registered', layer: 1, version: '1.4.0', at: at()},
		{type: 'phase', layer: 1, phase: 'is_training', at: at()},
		{type: 'lr', value: 1e-4},
	];
	const batch = (i: number) => {
		ev.push({type: 'waiting', what: 'work from the orchestrator'});
		ev.push({type: 'heartbeat', at: at(200)});
		ev.push({type: 'waiting', what: null});
		ev.push({type: 'batch', direction: 'forward', activationUid: `a${i}`, tokens: 2048, ms: 700 + (i % 3) * 40, at: at()});
		ev.push({type: 'batch', direction: 'backward', activationUid: `a${i}`, tokens: 2048, ms: 900 + (i % 4) * 50, at: at()});
		ev.push({type: 'loss', value: 7 - i * 0.2 + (i % 2) * 0.05, at: at(10)});
	};
	for (let i = 0; i < BATCHES; i++) batch(i);
	ev.push({type: 'phase', layer: 1, phase: 'weights_uploading', at: at()});
	ev.push({type: 'upload', item: upload(100, 'done', {key: 'weights/3/1/epoch-1.bin', kind: 'weights', bytes: 48 * 1024 * 1024})});
	ev.push({type: 'phase', layer: 1, phase: 'miners_merging_partitions', at: at()});
	ev.push({type: 'phase', layer: 1, phase: 'is_training', at: at()});
	ev.push({type: 'merge_done', layer: 1, epoch: 1, at: at()});
	for (let i = BATCHES; i < BATCHES + 7; i++) batch(i);
	for (let n = 1; n <= 8; n++) {
		ev.push({type: 'upload', item: upload(n, 'queued')});
		if (n <= 5) ev.push({type: 'upload', item: upload(n, 'uploading')});
		if (n <= 4) ev.push({type: 'upload', item: upload(n, 'done')});
		if (n <= 4) ev.push({type: 'published', key: upload(n, 'done').key, activationUid: `a${n}`, at: at(50)});
	}
	ev.push({type: 'upload', item: upload(9, 'failed', {attempts: 3, error: 'HTTP 503 from store'})});
	ev.push({type: 'score', score: 0.8123, incentive: 0.012345, emission: '0.4100 τ', emulated: true, at: at()});
	ev.push({type: 'log', level: 'warn', text: 'upload retry: HTTP 503 from store', at: at()});
	ev.push({type: 'waiting', what: 'work from the orchestrator'});
	ev.push({type: 'heartbeat', at: at(500)});
	return ev;
}

export const NOW = T0 + 50_000; // a fixed "now" for ages in frames

export function trainingStore(extra: MinerEvent[] = []): MinerStore {
	const store = createMinerStore();
	for (const e of [...trainingEvents(), ...extra]) store.dispatch(e);
	return store;
}
