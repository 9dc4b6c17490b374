// Regression tests for the fuzzer's transport findings: huge bodies (streamed, never allocated)
// are refused under the route's limit without taking the devnet down, unsigned bodies are
// refused before they are read, and malformed input that used to be a 500 is a 4xx.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {send} from '../../fuzz/http.js';
import {signedSend, startHostileEnv, statusOf, type HostileEnv} from './hostile-helpers.js';

const MB = 1 << 20;
let env: HostileEnv;
before(async () => {
	env = await startHostileEnv();
});
after(() => env?.close());

const healthy = async () => statusOf(await send(env.devnet.orchestrator, {method: 'GET', path: '/orchestrator/healthcheck'}));

test('a 600 MB streamed body to healthcheck is answered 413 and the devnet keeps answering', async () => {
	const progress = {sent: 0};
	const o = await send(env.devnet.orchestrator, {method: 'GET', path: '/orchestrator/healthcheck', streamBytes: 600 * MB, progress, deadlineMs: 30_000});
	assert.equal(statusOf(o), 413);
	assert.ok(progress.sent < 600 * MB, 'the server stopped reading and closed the connection');
	assert.equal(await healthy(), 200);
	assert.equal(statusOf(await send(env.devnet.store, {method: 'GET', path: '/'})) !== 'reset', true, 'the store is still up');
});

test('an unsigned 20 MB POST is refused before its body is read', async () => {
	const progress = {sent: 0};
	const headers = {'X-Spec-Version': '4065', 'X-Orchestrator-Version': env.devnet.settings.version, 'content-type': 'application/json'};
	const o = await send(env.devnet.orchestrator, {method: 'POST', path: '/orchestrator/miners/status', headers, streamBytes: 20 * MB, progress});
	assert.equal(statusOf(o), 401);
	assert.match(o.kind === 'answer' ? o.detail : '', /missing Epistula headers/);
	assert.ok(progress.sent < 20 * MB, `the whole body went out (${progress.sent} bytes): the server read it`);
	assert.equal(await healthy(), 200);
});

test('a validly signed body over the route limit is 413; one just under it is parsed', async () => {
	const miner = env.miners[0]!;
	const big = JSON.stringify({status: 'idle', activation_uid: null, activation_path: null, pad: 'x'.repeat(5000)});
	assert.equal(statusOf(await signedSend(env, miner, 'POST', '/orchestrator/miners/status', big)), 413);
	const padded = JSON.stringify({status: 'idle', activation_uid: null, activation_path: null}).padEnd(4000, ' ');
	assert.equal(statusOf(await signedSend(env, miner, 'POST', '/orchestrator/miners/status', padded)), 200);
});

test('malformed store URLs and percent-escapes in key fields are 400, not 500', async () => {
	const miner = env.miners[0]!;
	for (const path of ['http://127.0.0.1:1/iota-devnet/%E0%A4%A', 'http://[::1', 'https://%zz/x']) {
		const body = JSON.stringify({path, file_size: 10, part_size: 1 << 20, expires_in: 3600});
		const o = await signedSend(env, miner, 'POST', '/storage/multipart_upload/initiate', body);
		assert.equal(statusOf(o), 400, `${path}: ${JSON.stringify(o)}`);
	}
	const publish = JSON.stringify({status: 'forward', activation_uid: crypto.randomUUID(), activation_path: 'http://127.0.0.1:1/iota-devnet/activations/%E0%A4%A'});
	assert.equal(statusOf(await signedSend(env, miner, 'POST', '/orchestrator/miners/status', publish)), 400);
});

test('expires_in over a week is 422, at a week it is granted', async () => {
	const miner = env.miners[0]!;
	const path = `metadata/weights/${miner.address}/1/0/x.json`;
	assert.equal(statusOf(await signedSend(env, miner, 'GET', '/storage/presigned_url', JSON.stringify({path, expires_in: 604_801}))), 422);
	assert.equal(statusOf(await signedSend(env, miner, 'GET', `/storage/presigned_url?path=${path}&expires_in=31536000`)), 422);
	assert.equal(statusOf(await signedSend(env, miner, 'GET', '/storage/presigned_url', JSON.stringify({path, expires_in: 604_800}))), 200);
});

test('keys over 1,024 bytes are 400', async () => {
	const miner = env.miners[0]!;
	const path = `weights/${miner.address}/1/0/${'a'.repeat(1100)}.bin`;
	const o = await signedSend(env, miner, 'POST', '/storage/multipart_upload/initiate', JSON.stringify({path, file_size: 10, part_size: 1 << 20, expires_in: 3600}));
	assert.equal(statusOf(o), 400);
	assert.match(o.kind === 'answer' ? o.detail : '', /1024 bytes/);
});

test('a repeated or unknown query parameter is 422, never bound into SQLite', async () => {
	const miner = env.miners[1]!;
	const uid = crypto.randomUUID();
	for (const query of [`layer=1&layer=2&activation_uid=${uid}`, `layer=1&activation_uid=${uid}&activation_uid=${uid}`, `layer=1&activation_uid=${uid}&admin=1`]) {
		assert.equal(statusOf(await signedSend(env, miner, 'GET', `/storage/activations/is_active?${query}`)), 422, query);
	}
	assert.equal(statusOf(await send(env.devnet.orchestrator, {method: 'GET', path: '/orchestrator/is_merging?layer=0&layer=1'})), 422);
	assert.equal(statusOf(await signedSend(env, miner, 'GET', `/storage/activations/is_active?layer=1&activation_uid=${uid}`)), 200);
});
