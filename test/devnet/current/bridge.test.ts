// The bridge v2 registry on /bridge of the current devnet orchestrator, spoken as the sync_v2 client
// does (register, get, set with CAS versions and lock tokens, vars by prefix, lock/unlock, delete),
// and its bounds: value size, variable count, body size, malformed requests.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {send} from '../../../source/orchestrator/http.js';
import {startCurrentEnv, type CurrentEnv} from './helpers.js';

let env: CurrentEnv;
let base = '';

before(async () => {
	env = await startCurrentEnv({hotkeys: 0, chain: false, settings: {bridge_max_variables: 40, bridge_max_value_bytes: 1024}});
	base = `${env.devnet.orchestrator}/bridge`;
});
after(() => env?.close());

/** POST (or GET) JSON text as Python's httpx sends it; returns status, parsed JSON and the raw text. */
async function call(method: 'GET' | 'POST', path: string, body?: unknown | string) {
	const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
	const res = await send(`${base}${path}`, {method, headers: text === undefined ? {} : {'Content-Type': 'application/json'}, body: text, timeoutMs: 15_000});
	let json: any = null;
	try {
		json = JSON.parse(res.text);
	} catch {
		// not JSON
	}
	return {status: res.status, json, text: res.text, headers: res.headers};
}

const registry = (hotkey: string, field: string) => `run-devnet-run/node_registry/${hotkey}/${field}`;

test('register is idempotent: created at version 1, then already_registered with the value kept', async () => {
	const id = registry('miner-a', 'node_id');
	const r1 = await call('POST', '/register', {variables: [{var_id: id, default_value: 'node-a', var_type: 'str', write_rule: 'CAS'}]});
	assert.deepEqual(r1.json, {results: [{status: 'created', var_id: id, version: 1}]});
	const r2 = await call('POST', '/register', {variables: [{var_id: id, default_value: 'other', var_type: 'str', write_rule: 'CAS'}]});
	assert.deepEqual(r2.json.results[0], {status: 'already_registered', var_id: id, version: 1});
	const got = await call('POST', '/get', {var_ids: [id, 'never/registered']});
	assert.equal(got.json.variables.length, 1, 'an unknown id is left out, not an error');
	assert.deepEqual(got.json.errors, []);
	assert.deepEqual([got.json.variables[0].var_id, got.json.variables[0].value, got.json.variables[0].version], [id, 'node-a', 1]);
	assert.ok(Date.parse(got.json.variables[0].metadata.updated_at) > 0);
});

test('CAS: a write with the current version wins and bumps it; a stale or missing current_version is refused', async () => {
	const id = registry('miner-a', 'last_keepalive');
	await call('POST', '/register', {variables: [{var_id: id, default_value: 0.0, var_type: 'float', write_rule: 'CAS'}]});
	const ok = await call('POST', '/set', {updates: [{var_id: id, value: 1.5, current_version: 1}]});
	assert.deepEqual(ok.json.results[0], {status: 'updated', var_id: id, version: 2});
	const stale = await call('POST', '/set', {updates: [{var_id: id, value: 9.5, current_version: 1}]});
	assert.equal(stale.json.results[0].status, 'error');
	assert.match(stale.json.results[0].error, /^VersionConflict/);
	const missing = await call('POST', '/set', {updates: [{var_id: id, value: 9.5}]});
	assert.match(missing.json.results[0].error, /^VersionConflict/);
	const got = await call('POST', '/get', {var_ids: [id]});
	assert.deepEqual([got.json.variables[0].value, got.json.variables[0].version], [1.5, 2]);
	// Python floats stay floats on the wire (2.0, not 2).
	await call('POST', '/set', {updates: [{var_id: id, value: 2, current_version: 2}]});
	assert.deepEqual((await call('POST', '/set', '{"updates": [{"var_id": "' + id + '", "value": 3.0, "current_version": 3}]}')).json.results[0].version, 4);
	assert.match((await call('POST', '/get', {var_ids: [id]})).text, /"value": 3\.0/);
	// Each update stands alone: one conflict does not stop the next.
	const other = registry('miner-b', 'node_id');
	await call('POST', '/register', {variables: [{var_id: other, default_value: null, var_type: 'str', write_rule: 'LWW'}]});
	const batch = await call('POST', '/set', {updates: [{var_id: id, value: 5.0, current_version: 1}, {var_id: other, value: 'node-b'}, {var_id: 'nope', value: 1}]});
	assert.deepEqual(batch.json.results.map((r: {status: string; error?: string}) => r.error?.split(':')[0] ?? r.status), ['VersionConflict', 'updated', 'VariableNotFound']);
});

test('vars lists ids by prefix; values are checked against var_type', async () => {
	const listed = await call('GET', `/vars?prefix=${encodeURIComponent('run-devnet-run/node_registry/miner-a/')}`);
	assert.deepEqual(listed.json.map((v: {var_id: string}) => v.var_id), [registry('miner-a', 'last_keepalive'), registry('miner-a', 'node_id')]);
	assert.equal((await call('GET', '/vars?prefix=run-other/')).json.length, 0);
	const bad = await call('POST', '/set', {updates: [{var_id: registry('miner-b', 'node_id'), value: 42}]});
	assert.match(bad.json.results[0].error, /^TypeMismatch/);
});

test('LOCK: writes need the holder token; a second locker times out; unlock frees it', async () => {
	const id = 'run-devnet-run/config';
	await call('POST', '/register', {variables: [{var_id: id, default_value: {lr: 0.001}, var_type: 'dict', write_rule: 'LOCK'}]});
	assert.match((await call('POST', '/set', {updates: [{var_id: id, value: {lr: 0.5}}]})).json.results[0].error, /^LockRequired/);
	const lock = await call('POST', '/lock', {var_ids: [id], ttl_ms: 10_000, wait_ms: 0});
	const [held] = lock.json.locks;
	assert.equal(held.status, 'locked');
	const t0 = Date.now();
	const busy = await call('POST', '/lock', {var_ids: [id], ttl_ms: 10_000, wait_ms: 150});
	assert.equal(busy.json.locks[0].status, 'timeout');
	assert.ok(Date.now() - t0 >= 140, 'waited wait_ms');
	assert.equal((await call('POST', '/set', {updates: [{var_id: id, value: {lr: 0.5}, lock_token: 'guess'}]})).json.results[0].status, 'error');
	assert.equal((await call('POST', '/set', {updates: [{var_id: id, value: {lr: 0.5}, lock_token: held.lock_token}]})).json.results[0].status, 'updated');
	assert.deepEqual((await call('POST', '/unlock', {locks: [{var_id: id, lock_token: held.lock_token}]})).json.results[0].status, 'unlocked');
	assert.equal((await call('POST', '/lock', {var_ids: [id], wait_ms: 0})).json.locks[0].status, 'locked');
	assert.deepEqual((await call('POST', '/delete', {var_ids: [id, id]})).json.results.map((r: {status: string}) => r.status), ['deleted', 'not_found']);
});

test('bounds: value size, variable count, body size and malformed requests', async () => {
	const big = await call('POST', '/register', {variables: [{var_id: 'run-x/big', default_value: 'x'.repeat(2000), var_type: 'str', write_rule: 'LWW'}]});
	assert.match(big.json.results[0].error, /^ValueTooLarge/);
	const many = Array.from({length: 60}, (_, i) => ({var_id: `run-x/v${i}`, default_value: i, var_type: 'int', write_rule: 'LWW'}));
	const full = await call('POST', '/register', {variables: many});
	const statuses: string[] = full.json.results.map((r: {status: string; error?: string}) => r.error?.split(':')[0] ?? r.status);
	assert.ok(statuses.includes('RegistryFull'), 'capped at bridge_max_variables');
	assert.ok(env.devnet.server.bridge.size <= 40);
	const huge = await call('POST', '/set', {updates: [{var_id: 'run-x/v0', value: 'y'.repeat(300 * 1024)}]});
	assert.equal(huge.status, 413);
	assert.equal((await call('POST', '/get', '{"var_ids": [')).status, 422);
	const wrong = await call('POST', '/get', {var_ids: ['has space']});
	assert.equal(wrong.status, 422);
	assert.deepEqual(wrong.json.detail[0].loc, ['body', 'var_ids', 0]);
	assert.equal((await call('POST', '/register', {variables: [{var_id: 'run-x/t', default_value: 1, var_type: 'complex', write_rule: 'LWW'}]})).status, 422);
});
