// Run flags the current miner honours in its training worker: use_AdamW picks AdamW over NAdam as the inner
// optimizer (a run without it keeps NAdam); against the real current devnet orchestrator.
import {test, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {startMiner} from '../../source/miner/runtime.js';
import {createMinerStore} from '../../source/miner/store.js';
import type {MinerEvent} from '../../source/miner/types.js';
import {startCurrentEnv} from '../devnet/current/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'iota-run-flags-'));
after(() => rmSync(dir, {recursive: true, force: true}));

async function backendDetail(useAdamW: boolean): Promise<string> {
	const env = await startCurrentEnv({hotkeys: 1, chain: false, settings: {mini_batch_size: 2, sequence_length: 32, run_flags: {use_AdamW: {enabled: useAdamW}}}});
	try {
		const store = createMinerStore();
		const events: MinerEvent[] = [];
		store.subscribe((_s, e) => events.push(e));
		const handle = await startMiner({orchestratorUrl: env.devnet.orchestrator, protocol: 'current', hotkeyPair: env.pairs[0]!, dataDir: join(dir, String(useAdamW)), backend: 'cpu', model: 'devnet', store, pollMs: 100, clientBackoffMs: 100});
		const deadline = Date.now() + 60_000;
		while (!events.some(e => e.type === 'backend') && Date.now() < deadline && !handle.fatalError()) await new Promise(r => setTimeout(r, 100));
		await handle.stop();
		const backend = events.find((e): e is Extract<MinerEvent, {type: 'backend'}> => e.type === 'backend');
		assert.ok(backend, handle.fatalError() ?? 'the worker started');
		return backend.detail;
	} finally {
		await env.close();
	}
}

test('use_AdamW on: the worker steps with AdamW; off: NAdam', async () => {
	assert.match(await backendDetail(true), /, AdamW$/);
	assert.match(await backendDetail(false), /, NAdam$/);
});
