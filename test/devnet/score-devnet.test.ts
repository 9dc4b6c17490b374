// The devnet orchestrator as subnet 9's validator, through the real chain, store and orchestrator:
// the miner with more validated work scores higher, its weight is set on chain, and the
// devnet-emulated Incentive and Emission follow, shown in miner_detail marked emulated.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {startDevnet, type Devnet} from '../../source/devnet/devnet.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import type {OrchestratorClient} from '../../source/orchestrator/client.js';
import {uploadObject} from '../../source/orchestrator/transfer.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';
import {TEST_SETTINGS, activationKey, bytes, clientFor} from './helpers.js';

let dir: string;
let devnet: Devnet;
let chain: ChainClient;
const clients: OrchestratorClient[] = [];

before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-score-devnet-'));
	devnet = await startDevnet({dataDir: dir, settings: TEST_SETTINGS, validator: {auto: false}});
	chain = await connectChain(devnet.chain);
	for (let i = 0; i < 2; i++) {
		const coldkey = await pairFromMnemonic(newMnemonic());
		const hotkey = await pairFromMnemonic(newMnemonic());
		await chain.fundFromFaucet(coldkey.address);
		await chain.burnedRegister(coldkey, hotkey.address, devnet.netuid);
		const c = clientFor(devnet.orchestrator, hotkey);
		assert.equal((await c.register()).layer, i);
		clients.push(c);
	}
});
after(async () => {
	await chain?.close();
	await devnet?.close();
	rmSync(dir, {recursive: true, force: true});
});

const publish = async (c: OrchestratorClient, uid: string, layer: number, direction: 'initial' | 'forward', data: Uint8Array) =>
	c.updateStatus(direction, uid, await uploadObject(c, activationKey(uid, layer, direction), data));

type Detail = {score: number; incentive: number | null; emission: string | null; emulated: boolean; uid: number | null; spot_checks: unknown[]; work: Record<string, number>};
const detail = async (c: OrchestratorClient) => (await (await fetch(`${devnet.orchestrator}/orchestrator/metrics/miner_detail/${c.hotkey}`)).json()) as Detail;

test('before any weights: scores from work, no incentive yet, figures marked emulated', async () => {
	const [a, b] = clients as [OrchestratorClient, OrchestratorClient];
	// a (layer 0) publishes three forwards; b (layer 1) takes one and publishes its forward.
	for (let i = 0; i < 3; i++) {
		const uid = randomUUID();
		await publish(a, uid, 0, 'initial', bytes(64, i));
		await publish(a, uid, 0, 'forward', bytes(256, i));
	}
	const task = await b.randomActivation();
	assert.equal(task.direction, 'forward');
	await publish(b, task.activation_uid!, 1, 'forward', bytes(256, 9));
	const [da, db] = [await detail(a), await detail(b)];
	assert.deepEqual([da.score, db.score], [3, 1]);
	assert.deepEqual([da.incentive, db.incentive], [0, 0]);
	assert.equal(da.emulated, true);
	assert.deepEqual(da.spot_checks, []);
});

test('the validator sets weights by score; incentive and emission move on chain in that order', async () => {
	const [a, b] = clients as [OrchestratorClient, OrchestratorClient];
	const round = await devnet.validator!.tick();
	assert.equal(round.skipped, undefined);
	const [da0, db0] = [await detail(a), await detail(b)];
	assert.deepEqual(round.uids, [da0.uid, db0.uid]);
	assert.deepEqual(round.weights, [65535, 21845]); // 3 : 1
	let da = da0, db = db0;
	for (let i = 0; i < 5 && !(da.incentive && db.incentive); i++) {
		await chain.api.rpc('dev_newBlock' as never, {count: 1} as never);
		[da, db] = [await detail(a), await detail(b)];
	}
	assert.ok(db.incentive! > 0 && da.incentive! > db.incentive!, `incentive ${da.incentive} ${db.incentive}`);
	assert.ok(Math.abs(da.incentive! - 0.75) < 1e-3, `${da.incentive}`);
	assert.ok(BigInt(db.emission!) > 0n && BigInt(da.emission!) > BigInt(db.emission!), `emission ${da.emission} ${db.emission}`);
	const n = await chain.neuron(devnet.netuid, a.hotkey);
	assert.equal(n.incentive, da.incentive, 'the orchestrator shows what ChainClient reads');
	assert.equal(da.emulated, true);
});
