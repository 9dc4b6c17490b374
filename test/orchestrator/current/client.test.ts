// CurrentClient and registration over real HTTP on 127.0.0.1, against a server that checks every
// request with the spec-30017 verifier: retries and backoff, typed errors, bad replies, the queue.
import {test, before, after, beforeEach} from 'node:test';
import assert from 'node:assert/strict';
import type {KeyringPair} from '@polkadot/keyring/types';
import {CurrentClient, type CurrentClientOptions} from '../../../source/orchestrator/current/client.js';
import * as E from '../../../source/orchestrator/current/errors.js';
import {ATTESTATION_NOTE, pollDelayMs, registerMiner, RegistrationError} from '../../../source/orchestrator/current/registration.js';
import {newPair, QUEUED, REGISTRATION, startServer} from './fixtures.js';

let server: Awaited<ReturnType<typeof startServer>>;
let pair: KeyringPair;
const retries: {route: string; reason: string; delayMs: number}[] = [];
const client = (o: Partial<CurrentClientOptions> = {}) =>
	new CurrentClient({baseUrl: server.url, signer: pair, rateLimitBackoffMs: 10, errorBackoffMs: 5, onRetry: r => retries.push(r), ...o});

before(async () => {
	server = await startServer();
	pair = await newPair();
});
after(() => server.close());
beforeEach(() => {
	server.seen.length = 0;
	server.setHandler(undefined);
	retries.length = 0;
});

test('429 twice then 200: backoff 2^i x base, the same signed headers on every attempt', async () => {
	server.setHandler((_s, n) => (n <= 2 ? {status: 429, text: '{"detail": "Rate limit exceeded"}'} : undefined));
	const t0 = Date.now();
	const hb = await client().heartbeat('training');
	assert.equal(hb.phase, 'training');
	assert.ok(Date.now() - t0 >= 30, 'slept 10 + 20 ms');
	assert.deepEqual(retries.map(r => [r.reason, r.delayMs]), [['HTTP 429', 10], ['HTTP 429', 20]]);
	assert.equal(server.seen.length, 3);
	for (const name of ['x-request-id', 'epistula-timestamp', 'epistula-request-signature']) assert.equal(new Set(server.seen.map(s => s.headers[name])).size, 1, `${name} reused`);
});

test('other failures wait errorBackoff and retry; 3 attempts then a one-line error with the detail', async () => {
	server.setHandler((_s, n) => (n === 1 ? {status: 503, text: 'busy'} : undefined));
	assert.equal(await client().layerState(), 'training');
	assert.deepEqual(retries.map(r => [r.reason, r.delayMs]), [['HTTP 503', 5]]);
	server.seen.length = 0;
	server.setHandler(() => ({status: 500, text: '{"detail": "boom\\nline two"}'}));
	await assert.rejects(client().layerState(), (e: unknown) => e instanceof E.CurrentRequestError && e.status === 500 && e.message === 'GET /miner/layer_state: HTTP 500 boom line two (after 3 attempts)');
	assert.equal(server.seen.length, 3);
});

test('a closed port is a connection error after the attempts', async () => {
	const c = new CurrentClient({baseUrl: 'http://127.0.0.1:1', signer: pair, errorBackoffMs: 1});
	await assert.rejects(c.healthcheck(), (e: unknown) => e instanceof E.CurrentRequestError && e.status === 0 && /cannot reach .*\(after 3 attempts\)/.test(e.message));
});

test('error_name replies become typed errors, not retried', async () => {
	const cases: [unknown, (e: unknown) => boolean][] = [
		[{error_name: 'RunFullError', error_dict: {message: 'Run run-1 is full'}}, e => e instanceof E.RunFullError && e.serverMessage === 'Run run-1 is full'],
		[{error_name: 'MinerFrozenError', error_dict: {message: 'frozen'}}, e => e instanceof E.MinerFrozenError],
		[{error_name: 'MinerInitializingError', error_dict: {message: 'init'}}, e => e instanceof E.MinerInitializingError],
		[{error_name: 'EntityNotRegisteredError', error_dict: {message: 'Entity not registered'}}, e => e instanceof E.EntityNotRegisteredError],
		[
			{error_name: 'LayerStateError', error_dict: {layer: 2, expected_status: 'training', actual_status: 'weights_uploading', message: 'x'}},
			e => e instanceof E.LayerStateError && e.layer === 2 && e.expected_status === 'training' && e.actual_status === 'weights_uploading',
		],
		[{error_name: 'SpecVersionError', error_dict: {expected_version: 30018, actual_version: '30017'}}, e => e instanceof E.SpecVersionError && e.expected_version === 30018 && e.actual_version === '30017'],
		[{error_name: 'BrandNewError', error_dict: {message: 'something\x1b[31m new'}}, e => e instanceof E.CurrentProtocolError && e.constructor === E.CurrentProtocolError && e.errorName === 'BrandNewError'],
		[{error_name: 'LayerStateError', error_dict: {layer: 'two'}}, e => e instanceof E.CurrentProtocolError && !(e instanceof E.LayerStateError) && /malformed LayerStateError/.test(e.message)],
	];
	for (const [reply, check] of cases) {
		server.seen.length = 0;
		server.setHandler(() => ({json: reply}));
		await assert.rejects(client().heartbeat(), (e: unknown) => {
			assert.ok(check(e), `${(reply as {error_name: string}).error_name}: got ${String(e)}`);
			const m = (e as Error).message;
			assert.ok(m.startsWith('GET /miner/heartbeat: ') && !/[\n\x1b]/.test(m), m);
			return true;
		});
		assert.equal(server.seen.length, 1);
	}
	server.setHandler(() => ({json: {error_name: 'LayerStateError', error_dict: {layer: 1, expected_status: 'training', actual_status: 'merging_partitions'}}}));
	await assert.rejects(client().getActivations(), /layer 1 is in merging_partitions, not training: resync/);
});

test('garbage JSON is a one-line error naming the route; a wrong shape too', async () => {
	server.setHandler(() => ({status: 200, text: '<html>\n<body>gateway</body></html>'}));
	await assert.rejects(client().getRunInfo(), (e: unknown) => {
		assert.equal((e as Error).message, 'GET /common/get_run_info: HTTP 200 reply is not JSON: "<html> <body>gateway</body></html>" (after 3 attempts)');
		return true;
	});
	server.setHandler(() => ({json: {run_id: 'r', layer: 'one', epoch: 1, phase: 'training'}}));
	await assert.rejects(client().heartbeat(), /^CurrentRequestError: GET \/miner\/heartbeat: HTTP 200 unexpected reply: layer: Invalid input: expected number, received string$/);
});

test('an oversized reply is refused and not retried; a stop aborts a backoff', async () => {
	server.setHandler(() => ({status: 200, text: JSON.stringify([{run_id: 'x'.repeat(5000)}])}));
	await assert.rejects(client({maxReplyBytes: 1024}).getRunInfo(), (e: unknown) => e instanceof E.CurrentRequestError && /over the .* limit/.test(e.message));
	assert.equal(server.seen.length, 1);
	server.seen.length = 0;
	const stop = new AbortController();
	server.setHandler(() => ({status: 429, text: ''}));
	const p = client({signal: stop.signal, rateLimitBackoffMs: 60_000}).getRunInfo();
	setTimeout(() => stop.abort(), 50);
	await assert.rejects(p, /GET \/common\/get_run_info: stopped/);
	assert.equal(server.seen.length, 1);
});

test('a request the server cannot verify gets the 400 EpistulaError body, shown in one line', async () => {
	const liar = {address: (await newPair()).address, sign: (m: Uint8Array) => pair.sign(m)};
	await assert.rejects(client({signer: liar, attempts: 1}).heartbeat(), /GET \/miner\/heartbeat: HTTP 400 EpistulaError: Signature Mismatch \(after 1 attempt\)/);
});

test('registration: queue polled with jitter, confirmed with attestation null, then the response', async () => {
	const polls: string[] = [];
	server.setHandler(s => {
		if (s.path === '/miner/register') return {json: {...QUEUED, poll_after_seconds: 0.01}};
		if (s.path === '/miner/register/status/q-1') {
			polls.push('status');
			if (polls.length === 1) return {json: {...QUEUED, position: 1, poll_after_seconds: 0.01}};
			if (polls.length === 2) return {json: {...QUEUED, status: 'confirming', confirmation_required: true, selected_run_id: 'run-1'}};
			return {json: {...QUEUED, status: 'succeeded', response: REGISTRATION}};
		}
		if (s.path === '/miner/register/confirm/q-1') return {json: {...QUEUED, status: 'processing', poll_after_seconds: 0.01}};
		return undefined;
	});
	const logs: string[] = [];
	const states: string[] = [];
	const r = await registerMiner({client: client(), p2pNodeId: 'node-1', systemData: '{"gpus": []}', log: l => logs.push(l), minPollMs: 1, onQueueState: q => states.push(q.status)});
	assert.equal(r.run_id, 'run-1');
	assert.equal(r.layer, 1);
	assert.equal(r.num_partitions, 8);
	assert.equal(r.model_cfg.emb_dim, 512);
	assert.deepEqual(server.seen.map(s => `${s.method} ${s.path}`), [
		'POST /miner/register',
		'GET /miner/register/status/q-1',
		'GET /miner/register/status/q-1',
		'POST /miner/register/confirm/q-1',
		'GET /miner/register/status/q-1',
	]);
	assert.deepEqual(states, ['queued', 'queued', 'confirming', 'processing', 'succeeded']);
	const reg = server.seen[0]!;
	assert.equal(reg.text, '{"attestation": null, "coldkey": null, "enclave_payload": null, "location": null, "p2p_node_id": "node-1", "register_as_metagraph_miner": true, "system_data": "{\\"gpus\\": []}"}');
	assert.equal(server.seen[3]!.text, '{"attestation": null, "enclave_payload": null}');
	assert.equal(server.seen[1]!.text, '{}');
	assert.ok(logs.includes(ATTESTATION_NOTE));
	assert.ok(logs.some(l => /asks for confirmation \(run run-1\): confirming with attestation null/.test(l)));
});

test('registration: RunFull waits the run-full delay, other failures the error delay, one attempt each', async () => {
	let n = 0;
	server.setHandler(s => {
		if (s.path !== '/miner/register') return undefined;
		n++;
		if (n === 1) return {json: {error_name: 'RunFullError', error_dict: {message: 'full'}}};
		if (n === 2) return {status: 502, text: 'bad gateway'};
		if (n === 3) return {json: {...REGISTRATION, model_cfg: null}};
		return {json: REGISTRATION};
	});
	const logs: string[] = [];
	const t0 = Date.now();
	const r = await registerMiner({client: client(), p2pNodeId: 'node-1', log: l => logs.push(l), runFullRetryMs: 40, errorRetryMs: 1});
	assert.ok(Date.now() - t0 >= 40);
	assert.equal(r.current_epoch, 7);
	assert.equal(server.seen.length, 4, 'no transport retries for /miner/register');
	assert.match(logs[1]!, /run is full.*retrying in 0 s/);
	assert.match(logs[2]!, /HTTP 502 bad gateway \(after 1 attempt\)/);
	assert.match(logs[3]!, /without model_cfg/);
});

test('registration: a failed queue is retried, a spec mismatch is fatal, a stop ends the wait', async () => {
	server.setHandler(() => ({json: {...QUEUED, status: 'expired', error: {reason: 'reservation timed out'}}}));
	await assert.rejects(registerMiner({client: client(), p2pNodeId: 'n', errorRetryMs: 1, maxAttempts: 2}), (e: unknown) => e instanceof RegistrationError && /queue expired: \{"reason":"reservation timed out"\}/.test((e as Error).message));
	assert.equal(server.seen.length, 2);
	server.setHandler(() => ({json: {error_name: 'SpecVersionError', error_dict: {expected_version: 30020, actual_version: '30017'}}}));
	await assert.rejects(registerMiner({client: client(), p2pNodeId: 'n', errorRetryMs: 1}), E.SpecVersionError);
	const stop = new AbortController();
	server.setHandler(() => ({json: {...QUEUED, poll_after_seconds: 60}}));
	const p = registerMiner({client: client({signal: stop.signal}), p2pNodeId: 'n', signal: stop.signal});
	setTimeout(() => stop.abort(), 50);
	await assert.rejects(p, /registration stopped/);
});

test('queue poll delay: poll_after_seconds ±20 %, clamped', () => {
	assert.equal(pollDelayMs(5, {random: () => 0}), 4000);
	assert.equal(pollDelayMs(5, {random: () => 1}), 6000);
	assert.equal(pollDelayMs(5, {random: () => 0.5}), 5000);
	assert.equal(pollDelayMs(0, {random: () => 0.5}), 500, 'a zero poll is floored');
	assert.equal(pollDelayMs(86_400, {random: () => 0.5}), 300_000, 'and a huge one capped');
});
