// The protocol scenarios against the real store and orchestrator with a fixed hotkey set standing
// in for the metagraph (fast feedback; protocol.test.ts runs the same against the real chain).
import {test, before, after} from 'node:test';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {startDevnet} from '../../source/devnet/devnet.js';
import {StaticChainView} from '../../source/devnet/chain-view.js';
import {newPair, TEST_SETTINGS} from './helpers.js';
import {scenarios, type Env} from './scenarios.js';

const env = {} as Env;
let dir: string;

before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-orch-'));
	env.miners = await Promise.all([0, 1, 2, 3].map(() => newPair()));
	env.outsider = await newPair();
	const view = new StaticChainView(new Set(env.miners.map(m => m.address)));
	env.devnet = await startDevnet({dataDir: dir, chainView: view, settings: TEST_SETTINGS});
});
after(async () => {
	await env.devnet?.close();
	rmSync(dir, {recursive: true, force: true});
});

for (const [name, fn] of scenarios) test(name, () => fn(env));
