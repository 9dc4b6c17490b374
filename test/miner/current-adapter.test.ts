// The current adapter's edges on a chainless devnet (fixed hotkey set): a --model other than the run's is
// refused in one line, and stop() ends the miner, its P2P endpoint process included, within its limits.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {startMiner} from '../../source/miner/runtime.js';
import {createMinerStore} from '../../source/miner/store.js';
import type {MinerEvent} from '../../source/miner/types.js';
import {startCurrentEnv, type CurrentEnv} from '../devnet/current/helpers.js';

let env: CurrentEnv;
let dir: string;

before(async () => {
	env = await startCurrentEnv({hotkeys: 2, chain: false, settings: {mini_batch_size: 2, sequence_length: 32}});
	dir = mkdtempSync(join(tmpdir(), 'iota-current-adapter-'));
});
after(async () => {
	await env?.close();
	rmSync(dir, {recursive: true, force: true});
});

/** Our endpoint child processes (endpoint-process.ts), by command line. */
const endpointChildren = () => {
	try {
		return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], {encoding: 'utf8'}).split('\n').filter(l => l.includes('endpoint-process'));
	} catch {
		return [];
	}
};

const start = (i: number, model: string, devnetOnly?: boolean) => {
	const store = createMinerStore();
	const events: MinerEvent[] = [];
	store.subscribe((_s, e) => events.push(e));
	const handle = startMiner({orchestratorUrl: env.devnet.orchestrator, protocol: 'current', hotkeyPair: env.pairs[i]!, dataDir: join(dir, String(i)), backend: 'cpu', model, store, pollMs: 100, clientBackoffMs: 100, devnetOnly});
	return {store, events, handle};
};

test('a --model other than the run\'s is refused in one line, and nothing keeps running', async () => {
	const m = start(0, 'tiny');
	const h = await m.handle;
	await h.done;
	const error = h.fatalError() ?? '';
	assert.match(error, /^the run trains devnet \(emb 128, 6 layers.*but --model tiny is emb 32.*pick the run's model$/);
	assert.ok(!error.includes('\n'));
	assert.deepEqual(m.events.find(e => e.type === 'run'), {type: 'run', protocol: 'current', runId: 'devnet-run'});
	assert.deepEqual(endpointChildren(), [], 'the P2P endpoint process ended with the miner');
});

test('stop() ends a training current miner and its P2P endpoint within 10 s', async () => {
	const m = start(1, 'devnet');
	const h = await m.handle;
	const deadline = Date.now() + 120_000;
	while (m.store.getState().phase !== 'is_training' && Date.now() < deadline && !h.fatalError()) await new Promise(r => setTimeout(r, 100));
	assert.equal(m.store.getState().phase, 'is_training', h.fatalError() ?? 'training');
	assert.equal(endpointChildren().length, 1);
	const t0 = Date.now();
	await h.stop();
	assert.ok(Date.now() - t0 < 10_000, `stop took ${Date.now() - t0} ms`);
	assert.equal(m.store.getState().status, 'stopped');
	await new Promise(r => setTimeout(r, 300));
	assert.deepEqual(endpointChildren(), []);
});

test('off the devnet without a bridge URL the miner stops in one line instead of mining without peers', async () => {
	const h = await start(0, 'devnet', false).handle;
	await h.done;
	assert.match(h.fatalError() ?? '', /^the current protocol needs the bridge peer registry.*no bridge URL is known for this network$/);
	assert.deepEqual(endpointChildren(), []);
});

test('v1 off the devnet is refused before any request: its /orchestrator/settings is a devnet-only route', async () => {
	const store = createMinerStore();
	await assert.rejects(
		startMiner({orchestratorUrl: 'http://127.0.0.1:9', protocol: 'v1', hotkeyPair: env.pairs[0]!, dataDir: join(dir, 'v1-off'), backend: 'cpu', store, devnetOnly: false}),
		/^UserError: the v1 protocol \(spec 4065\) is served only by the iota-tui devnet now.*use --protocol current/,
	);
	assert.equal(store.getState().status, 'starting', 'nothing started');
});
