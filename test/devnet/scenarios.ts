// The protocol scenarios, run in order against one devnet (real chain in protocol.test.ts, a
// fixed hotkey set in server.test.ts). Miners speak only through the client and presigned URLs.
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import type {KeyringPair} from '@polkadot/keyring/types';
import {canonicalJson} from '../../source/orchestrator/canonical-json.js';
import {signRequest} from '../../source/orchestrator/epistula.js';
import {OrchestratorClient, OrchestratorError, VersionMismatchError, WrongPhaseError} from '../../source/orchestrator/client.js';
import {download, putPresigned, uploadObject} from '../../source/orchestrator/transfer.js';
import {sectionMetadata} from '../../source/orchestrator/tensor-meta.js';
import type {Devnet} from '../../source/devnet/devnet.js';
import {activationKey, bytes, clientFor, weightKey} from './helpers.js';

export interface Env {
	devnet: Devnet;
	/** Three hotkeys registered on subnet 9, plus one more (registered, never calls register_miner). */
	miners: KeyringPair[];
	/** A hotkey that is not in the metagraph. */
	outsider: KeyringPair;
}

type Scenario = [string, (env: Env) => Promise<void>];

const status = async (p: Promise<unknown>): Promise<number> => {
	try {
		await p;
		return 200;
	} catch (error) {
		if (error instanceof OrchestratorError) return error.status;
		throw error;
	}
};

let clients: OrchestratorClient[] = [];
let sample = '';
const tokens = bytes(1600, 1);

async function publish(c: OrchestratorClient, uid: string, layer: number, direction: 'initial' | 'forward' | 'backward', data: Uint8Array) {
	const key = await uploadObject(c, activationKey(uid, layer, direction), data);
	await c.updateStatus(direction, uid, key);
	return key;
}

async function submitWeights(c: OrchestratorClient, sections: number, epoch: number) {
	const w = bytes(64 * 2, 7);
	const opt = bytes(128 * 2, 9);
	const up = async (kind: Parameters<typeof weightKey>[0], data: Uint8Array) => {
		const key = weightKey(kind, c.hotkey, sections, epoch);
		if (kind.startsWith('metadata')) await putPresigned(await c.presignedUrl(key), data);
		else await uploadObject(c, key, data);
		return key;
	};
	const meta = (n: number) => new TextEncoder().encode(canonicalJson(sectionMetadata(n, sections) as never));
	return c.notifyWeightsUploaded({
		weights_path: await up('weights', w),
		metadata_path: await up('metadata/weights', meta(64)),
		optimizer_state_path: await up('optimizer_state', opt),
		optimizer_state_metadata_path: await up('metadata/optimizer_state', meta(128)),
	});
}

export const scenarios: Scenario[] = [
	['register: three miners spread over three layers, re-register keeps the layer', async ({devnet, miners}) => {
		clients = miners.slice(0, 3).map(p => clientFor(devnet.orchestrator, p));
		assert.deepEqual(await clients[0]!.healthcheck(), {status: 'healthy'});
		const layers: number[] = [];
		for (const c of clients) layers.push((await c.register()).layer);
		assert.deepEqual([...layers].sort(), [0, 1, 2]);
		// Order clients by layer so clients[L] is the miner on layer L.
		clients = [0, 1, 2].map(l => clients[layers.indexOf(l)]!);
		const again = await clients[1]!.register();
		assert.equal(again.layer, 1);
		assert.equal(again.version, devnet.settings.version);
		assert.equal(await clients[2]!.isRegistered(), true);
		const settings = await clients[0]!.settings();
		assert.equal(settings.layers, 3);
		assert.equal(settings.batches_before_merging, devnet.settings.batches_before_merging);
	}],

	['activations: forward across layers through presigned PUT/GET with Range, restart mid-flight', async ({devnet}) => {
		const [a, b, c] = clients as [OrchestratorClient, OrchestratorClient, OrchestratorClient];
		assert.equal((await a.randomActivation()).reason, 'no_activation_found');
		sample = randomUUID();
		await publish(a, sample, 0, 'initial', tokens);
		const out0 = bytes(4096, 2);
		await publish(a, sample, 0, 'forward', out0);
		const got = await b.randomActivation();
		assert.equal(got.direction, 'forward');
		assert.equal(got.activation_uid, sample);
		assert.equal(got.initial_activation, null);
		assert.deepEqual(await download(got.activation_path!, {start: 100, end: 164}), out0.subarray(100, 164));
		assert.equal(await b.isActive(1, sample), true);
		// The orchestrator restarts while layer 1 holds the activation: nothing is lost.
		await devnet.restartOrchestrator();
		await publish(b, sample, 1, 'forward', bytes(4096, 3));
		const tail = await c.randomActivation();
		assert.equal(tail.direction, 'forward');
		assert.equal(tail.initial_activation, sample);
		assert.deepEqual(await download(tail.initial_activation_path!), tokens);
		assert.deepEqual(await download(tail.activation_path!, {start: 0, end: 10}), bytes(4096, 3).subarray(0, 10));
	}],

	['activations: backward from the tail back to layer 0, loss and learning rate', async () => {
		const [a, b, c] = clients as [OrchestratorClient, OrchestratorClient, OrchestratorClient];
		await publish(c, sample, 2, 'backward', bytes(4096, 4));
		const loss = await c.reportLoss(sample, 2);
		assert.equal(loss.loss_value, 2);
		assert.equal(loss.hotkey, c.hotkey);
		const back1 = await b.randomActivation();
		assert.equal(back1.direction, 'backward');
		assert.deepEqual(await download(back1.activation_path!, {start: 8, end: 16}), bytes(4096, 4).subarray(8, 16));
		await publish(b, sample, 1, 'backward', bytes(4096, 5));
		const back0 = await a.randomActivation();
		assert.equal(back0.direction, 'backward');
		assert.equal(back0.activation_uid, sample);
		await publish(a, sample, 0, 'backward', bytes(512, 6));
		assert.equal(await a.isActive(0, sample), false);
		const lr = await a.learningRate();
		assert.ok(lr > 0 && lr <= 2e-4, `learning rate ${lr}`);
		assert.equal((await c.minerDetail()).last_loss, 2);
	}],

	['phases: weights_uploading, 409s with the expected state, restart mid-phase', async ({devnet}) => {
		const [a, b, c] = clients as [OrchestratorClient, OrchestratorClient, OrchestratorClient];
		for (let l = 0; l < 3; l++) assert.deepEqual(await a.isMerging(l), {status: 'weights_uploading', num_sections: 1});
		await assert.rejects(a.randomActivation(), (e: unknown) => e instanceof WrongPhaseError && e.expectedState === 'is_training');
		await assert.rejects(a.chunksForMiner(), (e: unknown) => e instanceof WrongPhaseError && e.expectedState === 'miners_merging_partitions');
		assert.equal((await submitWeights(a, 1, 0)).success, 'success');
		await devnet.restartOrchestrator();
		assert.equal((await a.isMerging(0)).status, 'miners_merging_partitions');
		assert.equal((await b.isMerging(1)).status, 'weights_uploading');
		const table = await a.globalMinerWeights();
		assert.equal(table.layers[0]!.submitted, 1);
		// score = forwards + backwards + weight submissions + merged partitions (score.ts): 1 + 1 + 1.
		assert.equal(table.miner_weights[a.hotkey], 3);
		assert.equal((await submitWeights(b, 1, 0)).success, 'success');
		assert.equal((await submitWeights(c, 1, 0)).success, 'success');
		await assert.rejects(submitWeights(c, 1, 0), (e: unknown) => e instanceof WrongPhaseError && e.expectedState === 'weights_uploading');
	}],

	['merging: the chunk plan, merged partitions, back to training with new layer weights', async ({devnet}) => {
		for (const [layer, c] of clients.entries()) {
			const [weights, chunks] = await c.chunksForMiner();
			assert.equal(weights.length, 1);
			assert.deepEqual(chunks, [0]);
			const w = weights[0]!;
			assert.equal(w.hotkey, c.hotkey);
			assert.equal(w.weighting_factor, 2);
			const meta = JSON.parse(new TextDecoder().decode(await download(w.weight_metadata_path))) as ReturnType<typeof sectionMetadata>;
			const s = meta.sections['0']!;
			const section = await download(w.weights_path, {start: s.start_byte, end: s.end_byte});
			assert.deepEqual(section, bytes(128, 7));
			const mergedKey = weightKey('weights', c.hotkey, 1, 0);
			await uploadObject(c, mergedKey, section);
			const optKey = weightKey('optimizer_state', c.hotkey, 1, 0);
			await uploadObject(c, optKey, bytes(256, 9));
			const metaKey = weightKey('metadata/weights', c.hotkey, 1, 0);
			await putPresigned(await c.presignedUrl(metaKey), new TextEncoder().encode('{}'));
			const optMetaKey = weightKey('metadata/optimizer_state', c.hotkey, 1, 0);
			await putPresigned(await c.presignedUrl(optMetaKey), new TextEncoder().encode('{}'));
			const chunk = {chunk_start_idx: 0, chunk_end_idx: 64, chunk_start_byte: 0, chunk_end_byte: 128, chunk_dtype: 'bfloat16', chunk_length: 64};
			await c.notifyMergedPartitions([{layer, chunk_number: 0, miner_hotkey: c.hotkey, weight_path: mergedKey, weight_metadata_path: metaKey, optimizer_state_path: optKey, optimizer_state_metadata_path: optMetaKey, weight_data: chunk, optimizer_state_data: {...chunk, chunk_end_idx: 128, chunk_end_byte: 256, chunk_length: 128}}]);
			assert.deepEqual(await c.isMerging(layer), {status: 'is_training', num_sections: 1});
			const parts = await c.layerWeights(layer);
			assert.equal(parts.length, 1);
			assert.deepEqual(await download(parts[0]!.weight_path, {start: 2, end: 6}), section.subarray(2, 6));
			const detail = await c.minerDetail();
			const raw = (await (await fetch(`${devnet.orchestrator}/orchestrator/metrics/miner_detail/${c.hotkey}`)).json()) as {work: Record<string, number>};
			assert.deepEqual([raw.work.weightsSubmitted, raw.work.partitionsMerged], [1, 1]);
			assert.equal(detail.score, Object.values(raw.work).reduce((a, b) => a + b, 0));
			assert.equal(detail.backwards_since_reset, 0);
			assert.equal(detail.total_backwards, 1);
		}
		const table = await clients[0]!.globalMinerWeights();
		assert.deepEqual(table.layers.map(l => [l.status, l.epoch]), [['is_training', 1], ['is_training', 1], ['is_training', 1]]);
	}],

	['activations: the cache limit, and a timed-out activation returns to the pool', async ({devnet}) => {
		const [a, b] = clients as [OrchestratorClient, OrchestratorClient];
		const uids = [randomUUID(), randomUUID()];
		for (const uid of uids) await publish(a, uid, 0, 'forward', bytes(256, 10));
		assert.equal((await a.randomActivation()).reason, 'out_of_cache');
		const first = await b.randomActivation();
		assert.equal(first.activation_uid, uids[0]);
		const second = await b.randomActivation();
		assert.equal(second.activation_uid, uids[1]);
		assert.equal((await b.randomActivation()).reason, 'out_of_cache');
		devnet.server.advanceTime((devnet.settings.activation_timeout_s + 1) * 1000);
		const again = await b.randomActivation();
		assert.equal(again.activation_uid, uids[0], 'the expired activation is handed out again');
	}],

	['auth: 401 forged, tampered, stale and replayed; 409 versions; 403 outsider; 404 unknown miner', async ({devnet, miners, outsider}) => {
		const url = `${devnet.orchestrator}/orchestrator/miners/status`;
		const a = miners[0]!;
		const base = {'X-Spec-Version': '4065', 'X-Orchestrator-Version': devnet.settings.version, 'Content-Type': 'application/json'};
		const body = canonicalJson({status: 'idle', activation_uid: null, activation_path: null});
		const post = (headers: object, text = body) => fetch(url, {method: 'POST', headers: {...base, ...headers}, body: text});
		const ok = signRequest(a, body);
		assert.equal((await post({...ok})).status, 200);
		assert.equal((await post({...ok})).status, 401, 'replayed uuid');
		const forged = {...signRequest(outsider, body), 'Epistula-Signed-By': a.address};
		assert.equal((await post(forged)).status, 401, 'signed by another key');
		assert.equal((await post(signRequest(a, body), body.replace('idle', 'forward'))).status, 401, 'tampered body');
		const stale = await post(signRequest(a, body, {timestampMs: Date.now() - devnet.settings.signature_max_skew_ms - 1000}));
		assert.equal(stale.status, 401);
		assert.match(((await stale.json()) as {detail: string}).detail, /stale/);
		// A client that sends Python's own spacing-free text still verifies (the server re-serialises).
		assert.equal((await post(signRequest(a, body), '{"status":"idle","activation_uid":null,"activation_path":null}')).status, 200);
		const spec = await post({...signRequest(a, body), 'X-Spec-Version': '4064'});
		assert.equal(spec.status, 409);
		assert.equal(((await spec.json()) as {detail: string}).detail, 'Spec version mismatch.');
		const c = clientFor(devnet.orchestrator, a, 1);
		c.orchestratorVersion = 'old';
		await assert.rejects(c.isRegistered(), (e: unknown) => e instanceof VersionMismatchError && e.detail === 'Orchestrator version mismatch.');
		assert.equal(await status(clientFor(devnet.orchestrator, outsider, 1).register()), 403);
		const stranger = clientFor(devnet.orchestrator, miners[3]!, 1);
		stranger.orchestratorVersion = devnet.settings.version;
		assert.equal(await status(stranger.randomActivation()), 404);
		assert.equal(await stranger.isRegistered(), false);
	}],

	['rate limit: 429 per hotkey per endpoint, and the client retries through it', async ({devnet, miners}) => {
		const c = clientFor(devnet.orchestrator, miners[0]!, 1);
		c.orchestratorVersion = devnet.settings.version;
		const n = Math.ceil(devnet.settings.rate_limit_per_s) * 3;
		const codes = await Promise.all(Array.from({length: n}, () => status(c.isRegistered())));
		assert.ok(codes.includes(429), `expected some 429 in ${codes.join(',')}`);
		assert.ok(codes.includes(200));
		// Another endpoint of the same hotkey has its own bucket.
		assert.equal(await status(c.learningRate()), 200);
		// With retries and backoff the same call gets through.
		const patient = clientFor(devnet.orchestrator, miners[0]!, 8);
		patient.orchestratorVersion = devnet.settings.version;
		assert.equal(await patient.isRegistered(), true);
	}],
];
