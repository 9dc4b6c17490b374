// Registration and refusals of the current-protocol devnet orchestrator on the real devnet chain:
// the queue (with and without confirmation, expiry, payload mismatch, RunFull), spec mismatch,
// hotkeys outside the metagraph, Epistula failures, hostile bodies and the rate limit.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import * as E from '../../../source/orchestrator/current/errors.js';
import {registerMiner} from '../../../source/orchestrator/current/registration.js';
import type * as S from '../../../source/orchestrator/current/schemas.js';
import {publicModels} from '../../../source/training/llama3/config.js';
import {clientFor, rawSigned, register, realChain, startCurrentEnv, type CurrentEnv} from './helpers.js';

let env: CurrentEnv;
let url = '';

before(async () => {
	// One miner per layer: the fourth hotkey finds the run full.
	env = await startCurrentEnv({hotkeys: 4, chain: realChain(), settings: {max_miners_per_layer: 1}});
	url = env.devnet.orchestrator;
});
after(() => env?.close());

const c = (i: number, o = {}) => clientFor(url, env.pairs[i]!, o);
const REGISTER_BODY = {attestation: null, coldkey: null, register_as_metagraph_miner: true, enclave_payload: null, p2p_node_id: 'node-x', system_data: null, location: null};

test('run info, run epoch and health for any hotkey of the subnet', async () => {
	assert.deepEqual(await c(0).healthcheck(), {status: 'healthy'});
	const [run, ...others] = await c(0).getRunInfo();
	assert.equal(others.length, 0);
	assert.equal(run!.run_id, 'devnet-run');
	assert.equal(run!.authorized, true);
	assert.equal(run!.max_miners, 3);
	const flags = Object.entries(run!.run_flags).filter(([, f]) => f.enabled).map(([k]) => k).sort();
	assert.deepEqual(flags, ['auto_local_batch_size', 'sync_patches', 'weighted_partition_averaging'], 'the documented defaults: attest off');
	assert.deepEqual(await c(0).getRunEpoch('devnet-run'), {run_id: 'devnet-run', epoch: 0});
	await assert.rejects(c(0).getRunEpoch('other-run'), (e: unknown) => e instanceof E.CurrentProtocolError && e.errorName === 'RunNotFoundError');
	// The challenge is issued (attestation stays optional: attest is off).
	const ch = await c(0).requestAttestationChallenge('registration');
	assert.equal(ch.action, 'registration');
	const blob = JSON.parse(ch.attestation_challenge_blob) as {challenge_id: string; run_id: string};
	assert.match(blob.challenge_id, /^[0-9a-f-]{36}$/);
	assert.equal(blob.run_id, 'devnet-run');
	assert.ok(ch.expires_at > Date.now() / 1000);
});

test('a hotkey outside the metagraph, or not registered with the orchestrator, gets EntityNotRegisteredError', async () => {
	const outsider = clientFor(url, env.outsider);
	await assert.rejects(outsider.getRunInfo(), E.EntityNotRegisteredError);
	await assert.rejects(registerMiner({client: outsider, p2pNodeId: 'n', maxAttempts: 1}), E.EntityNotRegisteredError);
	await assert.rejects(c(0).heartbeat(), (e: unknown) => e instanceof E.EntityNotRegisteredError && /register first/.test(e.serverMessage ?? ''));
	const raw = await rawSigned(url, env.outsider, 'GET', '/miner/layer_state');
	assert.equal(raw.status, 200);
	assert.equal((raw.json as {error_name: string}).error_name, 'EntityNotRegisteredError');
});

test("an outsider's far-future request id is not taken: a registered miner may use the same id", async () => {
	const id = `fuzz-${Date.now()}`;
	const future = {requestId: id, timestampMs: Date.now() + 3_600_000};
	const refused = await rawSigned(url, env.outsider, 'GET', '/common/get_run_info', {sign: future});
	assert.equal((refused.json as {error_name: string}).error_name, 'EntityNotRegisteredError');
	const ok = await rawSigned(url, env.pairs[0]!, 'GET', '/common/get_run_info', {sign: {requestId: id}});
	assert.equal(ok.status, 200, ok.text);
	assert.equal((ok.json as {error_name?: string}).error_name, undefined, ok.text);
	const replay = await rawSigned(url, env.pairs[0]!, 'GET', '/common/get_run_info', {sign: {requestId: id}});
	assert.equal(replay.status, 400);
	assert.match(replay.text, /Replayed request/);
});

test('another spec version gets SpecVersionError on HTTP 200, before anything else', async () => {
	await assert.rejects(c(0, {specVersion: 30016}).heartbeat(), (e: unknown) => e instanceof E.SpecVersionError && e.expected_version === 30017 && e.actual_version === '30016');
	const raw = await rawSigned(url, env.outsider, 'GET', '/miner/heartbeat', {body: {}, headers: {'X-Spec-Version': ''}});
	assert.equal(raw.status, 200);
	assert.deepEqual(raw.json, {error_name: 'SpecVersionError', error_dict: {expected_version: 30017, actual_version: 'None', message: 'Spec version mismatch: expected 30017, got None'}});
});

test('registration through the queue: queued, then succeeded with the run, its model and flags', async () => {
	const q = (await c(0).register({p2p_node_id: 'node-0'})) as S.RegistrationQueueStatus;
	assert.equal(q.status, 'queued');
	assert.equal(q.position, 0);
	assert.equal(q.confirmation_required, false);
	const done = (await c(0).registerStatus(q.queue_id)) as S.RegistrationQueueStatus;
	assert.equal(done.status, 'succeeded');
	const r = done.response!;
	assert.equal(r.layer, 0);
	assert.equal(r.run_id, 'devnet-run');
	assert.equal(r.num_partitions, env.devnet.settings.num_partitions);
	const m = publicModels.devnet!.cfg;
	for (const k of ['vocab_size', 'context_length', 'orig_context_length', 'emb_dim', 'bottleneck_dim', 'n_heads', 'n_layers', 'hidden_dim', 'n_kv_groups', 'rope_base'] as const) assert.equal(r.model_cfg![k], m[k], k);
	assert.equal(r.model_cfg!.dtype, 'bfloat16');
	const md = r.model_metadata!;
	assert.deepEqual(md.model_splits, [[-1, 2], [2, 4], [4, -1]]);
	assert.equal(md.n_splits, 3);
	assert.equal(md.tokenizer_name, 'bytes');
	assert.deepEqual(md.dataset, {dataset_name: 'common-licenses', shuffle_dataset: true, sequence_length: 128, mini_batch_size: 4});
	assert.deepEqual([md.mini_batch_accumulation_count, md.grad_clip_norm, md.miners_per_layer], [4, 1, [1, 1, 1]]);
	assert.equal(r.run_flags.attest.enabled, false);
	assert.deepEqual(await c(0).getRunConfig(), {run_id: 'devnet-run', run_flags: r.run_flags, model_metadata: md});
	assert.deepEqual(await c(0).heartbeat('training'), {run_id: 'devnet-run', layer: 0, epoch: 0, phase: 'training', status: 'active'});
	await c(0).payoutColdkey(env.pairs[3]!.address);
	assert.equal(env.devnet.server.state.miner(env.pairs[0]!.address)!.payout_coldkey, env.pairs[3]!.address);
	// Someone else's queue id reads as unknown.
	await assert.rejects(c(1).registerStatus(q.queue_id), (e: unknown) => e instanceof E.CurrentProtocolError && e.errorName === 'RegistrationQueueError');
});

test('a second register call while queued returns the same entry, flagged when the payload changed', async () => {
	const s = env.devnet.server.settings;
	s.queue_hold_s = 3600;
	try {
		const a = (await c(1).register({p2p_node_id: 'node-1'})) as S.RegistrationQueueStatus;
		const same = (await c(1).register({p2p_node_id: 'node-1'})) as S.RegistrationQueueStatus;
		assert.deepEqual([same.queue_id, same.payload_mismatch], [a.queue_id, false]);
		const changed = (await c(1).register({p2p_node_id: 'node-1b'})) as S.RegistrationQueueStatus;
		assert.deepEqual([changed.queue_id, changed.status, changed.payload_mismatch], [a.queue_id, 'queued', true]);
		assert.equal(((await c(1).registerStatus(a.queue_id)) as S.RegistrationQueueStatus).status, 'queued', 'held');
	} finally {
		s.queue_hold_s = 0;
	}
	const r = await register(c(1));
	assert.equal(r.layer, 1);
	assert.equal(env.devnet.server.state.miner(env.pairs[1]!.address)!.p2p_node_id, 'node-1', 'the first payload counts');
});

test('with confirmation required: queued -> confirming -> confirmed -> succeeded; unconfirmed entries expire', async () => {
	const s = env.devnet.server.settings;
	s.confirmation_required = true;
	try {
		const seen: S.RegistrationQueueStatus[] = [];
		const r = await registerMiner({client: c(2), p2pNodeId: 'node-2', maxAttempts: 1, minPollMs: 10, maxPollMs: 100, onQueueState: q => seen.push(q)});
		assert.equal(r.layer, 2);
		assert.deepEqual(seen.map(q => q.status), ['queued', 'confirming', 'confirmed', 'succeeded']);
		const confirming = seen[1]!;
		assert.equal(confirming.confirmation_required, true);
		assert.equal(confirming.selected_run_id, 'devnet-run');
		assert.ok(Date.parse(confirming.reserved_until!) > Date.now());
		// A known miner may register again (it keeps its layer); left unconfirmed, the entry expires.
		const q = (await c(0).register({p2p_node_id: 'node-0'})) as S.RegistrationQueueStatus;
		assert.equal(((await c(0).registerStatus(q.queue_id)) as S.RegistrationQueueStatus).status, 'confirming');
		env.devnet.server.advanceTime((s.confirm_timeout_s + 1) * 1000);
		const expired = (await c(0).registerStatus(q.queue_id)) as S.RegistrationQueueStatus;
		assert.deepEqual([expired.status, expired.response], ['expired', null]);
	} finally {
		s.confirmation_required = false;
	}
});

test('a full run answers RunFullError; a registered miner still re-registers on its layer', async () => {
	await assert.rejects(c(3).register({p2p_node_id: 'node-3'}), (e: unknown) => e instanceof E.RunFullError && /full/.test(e.serverMessage ?? ''));
	assert.equal((await register(c(1))).layer, 1);
});

test('Epistula failures answer 400 with the EpistulaError body', async () => {
	const p = env.pairs[0]!;
	const detail = (r: {status: number; json: unknown}) => {
		assert.equal(r.status, 400);
		const d = (r.json as {detail: {name: string; message: string; error: string}}).detail;
		assert.equal(d.name, 'EpistulaError');
		assert.equal(d.message, `EpistulaError: ${d.error}`);
		return d.error;
	};
	// Signed over {} but another body sent.
	assert.equal(detail(await rawSigned(url, p, 'GET', '/miner/heartbeat', {body: {}, wire: '{"x": 1}'})), 'Signature Mismatch');
	assert.equal(detail(await rawSigned(url, p, 'GET', '/miner/heartbeat', {sign: {timestampMs: Date.now() - 120_000}})), 'Request is too stale');
	assert.equal(detail(await rawSigned(url, p, 'GET', '/miner/heartbeat', {headers: {'X-Request-Id': ''}})), 'Missing header X-Request-Id');
	assert.equal(detail(await rawSigned(url, p, 'GET', '/miner/heartbeat', {headers: {'Epistula-Signed-By': env.pairs[1]!.address}})), 'Signature Mismatch');
	const once = {requestId: 'a-request-id-used-twice'};
	assert.equal((await rawSigned(url, p, 'GET', '/miner/heartbeat', {sign: once})).status, 200);
	assert.match(detail(await rawSigned(url, p, 'GET', '/miner/heartbeat', {sign: once})), /Replayed request/);
});

test('hostile bodies: too large (413, connection closed), not JSON, unknown or mistyped fields (422), wrong phase and foreign paths (error_name)', async () => {
	const p = env.pairs[0]!;
	const big = await rawSigned(url, p, 'POST', '/miner/payout_coldkey', {body: {payout_coldkey: 'x'.repeat(10_000)}});
	assert.equal(big.status, 413);
	assert.equal(big.headers.connection, 'close');
	const notJson = await rawSigned(url, p, 'POST', '/miner/report_loss', {wire: '{"activation_id": ', headers: {}});
	assert.equal(notJson.status, 422);
	assert.equal((notJson.json as {detail: {type: string}[]}).detail[0]!.type, 'json_invalid');
	const extra = await rawSigned(url, p, 'POST', '/miner/register', {body: {...REGISTER_BODY, run_id: 'mine'}});
	assert.equal(extra.status, 422);
	assert.deepEqual((extra.json as {detail: {loc: unknown[]}[]}).detail[0]!.loc, ['body']);
	const mistyped = await rawSigned(url, p, 'GET', '/miner/get_activations', {body: {n_fwd_activations: 'lots'}});
	assert.equal(mistyped.status, 422);
	assert.deepEqual((mistyped.json as {detail: {loc: unknown[]}[]}).detail[0]!.loc, ['body', 'n_fwd_activations']);
	const badQuery = await rawSigned(url, p, 'GET', '/miner/heartbeat?expected_phase=resting', {body: {}});
	assert.equal(badQuery.status, 422);
	await assert.rejects(c(0).submitWeights('weights/devnet-run/x/0/y.blob'), (e: unknown) => e instanceof E.LayerStateError && e.layer === 0 && e.expected_status === 'weights_uploading' && e.actual_status === 'training');
	await assert.rejects(c(0).initiateFileUpload({num_parts: 5000, file_type: 'weights'}), (e: unknown) => e instanceof E.CurrentProtocolError && e.errorName === 'InvalidRequestError');
	// Another miner's object, or a path outside the store, is never accepted as one's own.
	const up = await c(1).initiateFileUpload({num_parts: 1, file_type: 'activation', multipart: false});
	const [act] = await c(0).getActivations(1);
	for (const path of [up.object_name, '../../etc/passwd', `http://127.0.0.1:1/${up.object_name}`]) {
		await assert.rejects(c(0).submitActivation({direction: 'forward', activation_id: act!.activation_id, activation_path: path}), (e: unknown) => e instanceof E.CurrentProtocolError && e.errorName === 'InvalidRequestError', path);
	}
	await assert.rejects(c(0).completeMultipartUpload({object_name: up.object_name, upload_id: 'u', parts: [{PartNumber: 1, ETag: 'e'}]}), /not an upload of this miner/);
});

test('rate limit per hotkey per route: 429 beyond it, and the same headers pass once the bucket refills', async () => {
	const s = env.devnet.server.settings;
	s.rate_limit_per_s = 2;
	try {
		const p = env.pairs[1]!;
		const first = await Promise.all([1, 2, 3].map(i => rawSigned(url, p, 'GET', '/miner/layer_state', {sign: {requestId: `rl-${i}`}})));
		assert.deepEqual(first.map(r => r.status).sort(), [200, 200, 429]);
		const refused = first.find(r => r.status === 429)!;
		assert.deepEqual(refused.json, {detail: 'Rate limit exceeded'});
		// Another route has its own bucket.
		assert.equal((await rawSigned(url, p, 'GET', '/miner/all_layers_training')).status, 200);
		await new Promise(r => setTimeout(r, 600));
		const id = first.indexOf(refused) + 1;
		assert.equal((await rawSigned(url, p, 'GET', '/miner/layer_state', {sign: {requestId: `rl-${id}`}})).status, 200, 'a refused id is not burnt');
		// The client backs off on 429 (0.5 s, then 1 s) and gets through: 2 tokens a second are enough.
		const cl = c(1, {rateLimitBackoffMs: 500});
		const phases = await Promise.all([1, 2, 3].map(() => cl.layerState()));
		assert.deepEqual(phases, ['training', 'training', 'training']);
	} finally {
		s.rate_limit_per_s = 50;
	}
});
