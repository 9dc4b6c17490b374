// The IOTA v1 protocol suite against the REAL devnet: the Subtensor chain (subnet 9), the object
// store and the orchestrator, started here. Identities are fresh wallets registered on chain.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {startDevnet} from '../../source/devnet/devnet.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';
import {TEST_SETTINGS, clientFor} from './helpers.js';
import {scenarios, type Env} from './scenarios.js';

const env = {} as Env;
let dir: string;
let chain: ChainClient;

before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-devnet-'));
	env.devnet = await startDevnet({dataDir: dir, settings: TEST_SETTINGS});
	chain = await connectChain(env.devnet.chain);
	env.miners = [];
	for (let i = 0; i < 4; i++) {
		const coldkey = await pairFromMnemonic(newMnemonic());
		const hotkey = await pairFromMnemonic(newMnemonic());
		await chain.fundFromFaucet(coldkey.address);
		const r = await chain.burnedRegister(coldkey, hotkey.address, env.devnet.netuid);
		assert.equal(r.alreadyRegistered, false);
		env.miners.push(hotkey);
	}
	env.outsider = await pairFromMnemonic(newMnemonic());
});
after(async () => {
	await chain?.close();
	await env.devnet?.close();
	rmSync(dir, {recursive: true, force: true});
});

test('the miners are in the metagraph of subnet 9 and the outsider is not', async () => {
	const hotkeys = await chain.hotkeys(env.devnet.netuid);
	for (const m of env.miners) assert.ok(hotkeys.includes(m.address));
	assert.ok(!hotkeys.includes(env.outsider.address));
});

for (const [name, fn] of scenarios) test(name, () => fn(env));

test('a hotkey registered on chain after the metagraph was read is accepted at once', async () => {
	const coldkey = await pairFromMnemonic(newMnemonic());
	const hotkey = await pairFromMnemonic(newMnemonic());
	const c = clientFor(env.devnet.orchestrator, hotkey, 1);
	await assert.rejects(c.register(), /403/);
	await chain.fundFromFaucet(coldkey.address);
	await chain.burnedRegister(coldkey, hotkey.address, env.devnet.netuid);
	const r = await c.register();
	assert.ok(r.layer >= 0 && r.layer < 3);
});

test('miners registering at the same moment are spread over the layers, not piled on one', async () => {
	const layerCounts = () => [0, 1, 2].map(l => env.devnet.server.state.minersInLayer(l).length);
	const before = layerCounts();
	const fresh = [];
	for (let i = 0; i < 6; i++) {
		const coldkey = await pairFromMnemonic(newMnemonic());
		const hotkey = await pairFromMnemonic(newMnemonic());
		await chain.fundFromFaucet(coldkey.address);
		await chain.burnedRegister(coldkey, hotkey.address, env.devnet.netuid);
		fresh.push(clientFor(env.devnet.orchestrator, hotkey, 1));
	}
	await Promise.all(fresh.map(c => c.register()));
	const after = layerCounts();
	assert.equal(after.reduce((a, b) => a + b) - before.reduce((a, b) => a + b), 6);
	// Each assignment sees the ones before it: the spread can only narrow (or stay within one).
	const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
	assert.ok(spread(after) <= Math.max(1, spread(before)), `layers went ${before} -> ${after}`);
});
