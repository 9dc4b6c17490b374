// Client retry policy over real HTTP: 5xx and 429 are retried with backoff, 4xx are not,
// a stalled server times out, a closed port is a connection error; every attempt is re-signed.
import {test, after} from 'node:test';
import assert from 'node:assert/strict';
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {OrchestratorClient, OrchestratorError} from '../../source/orchestrator/client.js';
import {newPair} from '../devnet/helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
const seen: IncomingMessage[] = [];
const server = createServer((req, res) => {
	seen.push(req);
	handler(req, res);
});
await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => new Promise<void>(r => server.close(() => r())));

const pair = await newPair();
const retries: string[] = [];
const client = (o: {attempts?: number; timeoutMs?: number} = {}) =>
	new OrchestratorClient({url, signer: pair, backoffMs: 5, attempts: 3, onRetry: i => retries.push(i.reason), ...o});

const replyAfter = (failures: {status: number; body: string}[]): Handler => (_req, res) => {
	const f = failures.shift();
	if (f) res.writeHead(f.status, {'content-type': 'application/json'}).end(f.body);
	else res.writeHead(200, {'content-type': 'application/json'}).end('{"is_registered": true}');
};

test('503 then 429 then success: retried, each attempt with a fresh uuid', async () => {
	seen.length = 0;
	retries.length = 0;
	handler = replyAfter([{status: 503, body: '{"detail": "busy"}'}, {status: 429, body: '{"detail": "Rate limit exceeded."}'}]);
	assert.equal(await client().isRegistered(), true);
	assert.deepEqual(retries, ['HTTP 503', 'HTTP 429']);
	const uuids = new Set(seen.map(r => r.headers['epistula-uuid']));
	assert.equal(uuids.size, 3);
	assert.equal(seen[0]!.headers['x-spec-version'], '4065');
});

test('persistent 500 gives up after the attempts with the detail', async () => {
	handler = (_req, res) => res.writeHead(500).end('{"detail": "boom"}');
	await assert.rejects(client().isRegistered(), (e: unknown) => e instanceof OrchestratorError && e.status === 500 && e.detail === 'boom');
});

test('403 is not retried', async () => {
	seen.length = 0;
	handler = (_req, res) => res.writeHead(403).end('{"detail": "Hotkey not registered on subnet."}');
	await assert.rejects(client().isRegistered(), /HTTP 403 Hotkey not registered on subnet\./);
	assert.equal(seen.length, 1);
});

test('a stalled server times out; a bad reply shape is refused', async () => {
	handler = () => {}; // never answers
	await assert.rejects(client({attempts: 1, timeoutMs: 100}).isRegistered(), /timed out after 100 ms/);
	handler = (_req, res) => res.writeHead(200).end('{"is_registered": "yes"}');
	await assert.rejects(client().isRegistered(), /unexpected reply: is_registered/);
});

test('a closed port is a connection error after the attempts', async () => {
	const c = new OrchestratorClient({url: 'http://127.0.0.1:1', signer: pair, backoffMs: 1, attempts: 2});
	await assert.rejects(c.healthcheck(), (e: unknown) => e instanceof OrchestratorError && e.status === 0 && /cannot reach/.test(e.detail));
});
