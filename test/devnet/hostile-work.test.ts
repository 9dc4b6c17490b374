// Regression tests for the fuzzer's findings on the work ledger and validation: publishes must
// be the sender's own work, for that sample and direction, once; losses only for samples handed
// to the tail miner, once, and within range; __proto__ never reaches a validator.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import type {OrchestratorClient} from '../../source/orchestrator/client.js';
import {signedSend, startHostileEnv, statusOf, upload, type HostileEnv} from './hostile-helpers.js';

let env: HostileEnv;
let c0: OrchestratorClient, c1: OrchestratorClient, c2: OrchestratorClient;
const use = (e: HostileEnv) => {
	env = e;
	[c0, c1, c2] = env.clients as [OrchestratorClient, OrchestratorClient, OrchestratorClient];
};
let shared: HostileEnv;
before(async () => use((shared = await startHostileEnv())));
after(() => shared?.close());
/** Tests that follow samples through the hand-out queue get a devnet of their own. */
const fresh = async (fn: () => Promise<void>) => {
	const own = await startHostileEnv();
	use(own);
	try {
		await fn();
	} finally {
		use(shared);
		await own.close();
	}
};

const publish = (layer: number, status: string, uid: string, path: string) =>
	signedSend(env, env.miners[layer]!, 'POST', '/orchestrator/miners/status', JSON.stringify({status, activation_uid: uid, activation_path: path}));
const reportLoss = (layer: number, uid: string, loss: string) =>
	signedSend(env, env.miners[layer]!, 'POST', '/orchestrator/miners/report_loss', `{"activation_uid": ${JSON.stringify(uid)}, "loss_value": ${loss}}`);

/** A sample started on layer 0 (initial + forward published); returns its uid. */
async function startSample(): Promise<string> {
	const uid = randomUUID();
	assert.equal(statusOf(await publish(0, 'initial', uid, await upload(c0, uid, 0, 'initial'))), 200);
	assert.equal(statusOf(await publish(0, 'forward', uid, await upload(c0, uid, 0, 'forward'))), 200);
	return uid;
}

test('a forward published twice is refused, and so is an initial over a sample\'s token ids', async () => {
	const uid = await startSample();
	const again = await publish(0, 'forward', uid, await upload(c0, uid, 0, 'forward'));
	assert.equal(statusOf(again), 400);
	assert.match(again.kind === 'answer' ? again.detail : '', /already published/);
	assert.equal(statusOf(await publish(0, 'initial', uid, await upload(c0, uid, 0, 'initial'))), 400);
	assert.equal(env.devnet.server.state.taskCount('available'), 1, 'one layer-1 task, not two');
});

test('a publish naming another sample\'s object, or the wrong direction, is refused', () => fresh(async () => {
	const uid = await startSample();
	const other = randomUUID();
	assert.equal(statusOf(await publish(0, 'forward', other, await upload(c0, uid, 0, 'forward'))), 403);
	assert.equal(statusOf(await publish(0, 'initial', other, await upload(c0, other, 0, 'forward'))), 403);
	const got = await c1.randomActivation();
	assert.equal(got.activation_uid, uid);
	// Layer 1 holds the forward: its backward, or a forward for a sample it does not hold, is refused.
	assert.equal(statusOf(await publish(1, 'backward', uid, await upload(c1, uid, 1, 'backward'))), 400);
	assert.equal(statusOf(await publish(1, 'forward', other, await upload(c1, other, 1, 'forward'))), 400);
	assert.equal(statusOf(await publish(1, 'forward', uid, await upload(c1, uid, 1, 'forward'))), 200);
}));

test('a uid that is not a UUID (NUL, CR/LF, 64 KB) is refused', async () => {
	const key = await upload(c0, randomUUID(), 0, 'forward');
	for (const uid of [`${randomUUID()}\u0000`, `${randomUUID()}\r\n`, 'x'.repeat(1000)]) assert.equal(statusOf(await publish(0, 'forward', uid, key)), 422);
	assert.equal(statusOf(await publish(0, 'forward', 'x'.repeat(64 * 1024), key)), 413);
});

test('a loss for a uid never handed out, from the wrong layer, twice, or out of range is refused', () => fresh(async () => {
	assert.equal(statusOf(await reportLoss(2, randomUUID(), '2.5')), 403);
	const uid = await startSample();
	assert.equal(statusOf(await reportLoss(2, uid, '2.5')), 403, 'not handed to the tail yet');
	assert.equal((await c1.randomActivation()).activation_uid, uid);
	await c1.updateStatus('forward', uid, await upload(c1, uid, 1, 'forward'));
	assert.equal((await c2.randomActivation()).activation_uid, uid);
	assert.equal(statusOf(await reportLoss(1, uid, '2.5')), 403, 'layer 1 reports no loss');
	for (const bad of ['-1', '0', '1e308', '5e-324', 'NaN', 'Infinity']) assert.equal(statusOf(await reportLoss(2, uid, bad)), 422, bad);
	assert.equal(statusOf(await reportLoss(2, uid, '2.5')), 200);
	assert.equal(statusOf(await reportLoss(2, uid, '2.4')), 400, 'reported twice');
	assert.equal(env.devnet.server.state.miner(env.miners[2]!.address)!.losses_reported, 1);
}));

test('__proto__, constructor and prototype keys are refused before validation', async () => {
	const miner = env.miners[0]!;
	for (const body of ['{"__proto__": {"status": "idle"}}', '{"constructor": {"prototype": {"status": "idle"}}}', '{"status": "idle", "x": {"__proto__": {}}}']) {
		const o = await signedSend(env, miner, 'POST', '/orchestrator/miners/status', body);
		assert.equal(statusOf(o), 400, body);
		assert.match(o.kind === 'answer' ? o.detail : '', /forbidden key/);
	}
	assert.equal(statusOf(await signedSend(env, miner, 'GET', '/orchestrator/is_registered?__proto__[x]=1')), 422);
	assert.equal(statusOf(await signedSend(env, miner, 'POST', '/orchestrator/miners/status', '{"status": "idle"}')), 200);
});

test('unknown fields are refused on strict request bodies', async () => {
	const miner = env.miners[0]!;
	const o = await signedSend(env, miner, 'POST', '/orchestrator/miners/status', '{"status": "idle", "admin": true}');
	assert.equal(statusOf(o), 422);
	assert.equal(statusOf(await signedSend(env, miner, 'POST', '/orchestrator/register_miner', '{"layer": 2}')), 422);
});
