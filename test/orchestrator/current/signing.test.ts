// Spec-30017 Epistula: the signature verifies over exactly "{sha256hex(body)}.{ts}.", the signed
// body is Python's json.dumps(sort_keys=True, default=str), and the verifier refuses stale and replayed requests.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {execFileSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {signatureVerify} from '@polkadot/util-crypto';
import {canonicalJson, pyFloat, type PyJson} from '../../../source/orchestrator/canonical-json.js';
import {parsePyJson} from '../../../source/orchestrator/py-json-parse.js';
import * as B from '../../../source/orchestrator/current/bodies.js';
import {epistulaErrorBody, RequestIdGuard, signCurrent, signedBodyText, verifyCurrent} from '../../../source/orchestrator/current/signing.js';
import {HOTKEY_A, newPair} from './fixtures.js';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const lower = (h: object) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v as string]));

test('headers and signature: the documented message, sr25519, 0x hex', async () => {
	const pair = await newPair();
	const body = '{"payout_coldkey": "coldkey-1"}';
	const h = signCurrent(pair, body, {timestampMs: 1_760_000_000_123, requestId: 'req-1'});
	assert.deepEqual(Object.keys(h).sort(), ['Epistula-Request-Signature', 'Epistula-Signed-By', 'Epistula-Timestamp', 'X-Is-Mounted', 'X-Request-Id', 'X-Spec-Version']);
	assert.equal(h['Epistula-Timestamp'], '1760000000123');
	assert.equal(h['Epistula-Signed-By'], pair.address);
	assert.equal(h['X-Spec-Version'], '30017');
	assert.equal(h['X-Request-Id'], 'req-1');
	assert.equal(h['X-Is-Mounted'], 'false');
	assert.match(h['Epistula-Request-Signature'], /^0x[0-9a-f]{128}$/);
	const message = `${createHash('sha256').update(body).digest('hex')}.1760000000123.`;
	const r = signatureVerify(message, h['Epistula-Request-Signature'], pair.address);
	assert.ok(r.isValid);
	assert.equal(r.crypto, 'sr25519');
	assert.equal(signatureVerify(`${message}x`, h['Epistula-Request-Signature'], pair.address).isValid, false);
	assert.match(signCurrent(pair, body)['X-Request-Id'], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('signed body: None, {} and [] all sign as "{}"; anything else is its canonical text', () => {
	assert.equal(signedBodyText(undefined), '{}');
	assert.equal(signedBodyText(null), '{}');
	assert.equal(signedBodyText({}), '{}');
	assert.equal(signedBodyText([]), '{}');
	assert.equal(signedBodyText({a: undefined}), '{}');
	assert.equal(signedBodyText([3, 5]), '[3, 5]');
	assert.equal(signedBodyText({b: 1, a: pyFloat(2)}), '{"a": 2.0, "b": 1}');
});

test("canonical bodies equal Python's json.dumps(body, sort_keys=True, default=str)", () => {
	// Bodies the client really builds, plus hand-written unsorted text with floats and unicode.
	const built: PyJson[] = [
		B.reportLossBody({activation_id: 'a-1', loss: 3}),
		B.reportLossBody({activation_id: 'a-2', loss: 1e-5, layer_idx: 0}),
		B.registerBody({p2p_node_id: 'node-1', coldkey: HOTKEY_A, system_data: '{"gpus": ["H200 – 141 GB"]}', location: {city: 'São Paulo', latitude: -23.55, longitude: -46.633308, country: '日本'}}),
		B.submitActivationBody({direction: 'backward', activation_stats: {mean: pyFloat(0), std: 1.25, big: pyFloat(1e16), emoji: '😀'}}),
		B.mergedPartitionsBody([{layer: 0, chunk_number: 'all'}, {layer: 1, chunk_number: 2, miner_hotkey: HOTKEY_A}]),
		B.previousPartitionsBody([1, 2, 3]),
	];
	const texts = [
		...built.map(b => canonicalJson(b)),
		'{"z": 1.0, "a": "é\\u00e9\\ud83d\\ude00", "m": [1e-05, 2.5, 100.0, 1e+16], "k": {"y": null, "b": true}}',
		'{"loss": 0.30000000000000004, "activation_id": "x"}',
	];
	const script = 'import json,sys\nfor line in sys.stdin.read().splitlines():\n    print(json.dumps(json.loads(line), sort_keys=True, default=str))';
	const out = execFileSync(PYTHON, ['-c', script], {input: texts.join('\n'), encoding: 'utf8', timeout: 60_000}).split('\n').slice(0, texts.length);
	texts.forEach((t, i) => assert.equal(canonicalJson(parsePyJson(t)), out[i], `body ${i}`));
	// The text we send is already Python's canonical text, so it is what gets signed.
	built.forEach((b, i) => assert.equal(signedBodyText(b), out[i]));
});

test('verifier: valid, tampered, wrong signer, stale, replayed, malformed', async () => {
	const a = await newPair();
	const b = await newPair();
	const body = '{"n_fwd_activations": 1}';
	const t0 = 1_760_000_000_000;
	const h = lower(signCurrent(a, body, {timestampMs: t0, requestId: 'id-1'}));
	const ok = verifyCurrent(h, body, {nowMs: t0 + 59_000});
	assert.deepEqual(ok, {ok: true, hotkey: a.address, requestId: 'id-1', timestampMs: t0, specVersion: '30017', isMounted: false});
	assert.deepEqual(verifyCurrent(h, '{"n_fwd_activations": 2}', {nowMs: t0}), {ok: false, error: 'Signature Mismatch'});
	assert.deepEqual(verifyCurrent({...h, 'epistula-signed-by': b.address}, body, {nowMs: t0}), {ok: false, error: 'Signature Mismatch'});
	// Stale: int(float(ts)) + timeout*1000 < now. Exactly at the edge is still fine; the future is not checked.
	assert.equal(verifyCurrent(h, body, {nowMs: t0 + 60_000}).ok, true);
	assert.deepEqual(verifyCurrent(h, body, {nowMs: t0 + 60_001}), {ok: false, error: 'Request is too stale'});
	assert.equal(verifyCurrent(h, body, {nowMs: t0 + 10_001, timeoutS: 10}).ok, false);
	assert.equal(verifyCurrent(h, body, {nowMs: t0 - 3_600_000}).ok, true);
	// A fractional timestamp is truncated for staleness but signed as written.
	const hf = lower(signCurrent(a, body, {timestampMs: t0, requestId: 'id-f'}));
	assert.equal(verifyCurrent({...hf, 'epistula-timestamp': `${t0}.0`}, body, {nowMs: t0}).ok, false, 'the signed text is the header as sent');
	// Replay: the same X-Request-Id is refused inside the window, even re-signed.
	const guard = new RequestIdGuard();
	assert.equal(verifyCurrent(h, body, {nowMs: t0, guard}).ok, true);
	assert.deepEqual(verifyCurrent(h, body, {nowMs: t0 + 1000, guard}), {ok: false, error: 'Replayed request (X-Request-Id already used)'});
	const again = lower(signCurrent(a, body, {timestampMs: t0 + 2000, requestId: 'id-1'}));
	assert.equal(verifyCurrent(again, body, {nowMs: t0 + 2000, guard}).ok, false);
	guard.release('id-1');
	assert.equal(verifyCurrent(again, body, {nowMs: t0 + 2000, guard}).ok, true, 'released ids may be used again');
	// A bad signature does not burn the id.
	const h2 = lower(signCurrent(a, body, {timestampMs: t0, requestId: 'id-2'}));
	assert.equal(verifyCurrent(h2, '{}', {nowMs: t0, guard}).ok, false);
	assert.equal(verifyCurrent(h2, body, {nowMs: t0, guard}).ok, true);
	// Malformed input.
	assert.deepEqual(verifyCurrent({...h, 'x-request-id': undefined}, body, {nowMs: t0}), {ok: false, error: 'Missing header X-Request-Id'});
	assert.deepEqual(verifyCurrent({...h, 'epistula-timestamp': 'soon'}, body, {nowMs: t0}), {ok: false, error: 'Invalid Timestamp'});
	assert.deepEqual(verifyCurrent({...h, 'epistula-request-signature': 'sample_signature'}, body, {nowMs: t0}), {ok: false, error: 'Invalid Signature'});
	assert.deepEqual(verifyCurrent({...h, 'epistula-signed-by': 'not-an-address'}, body, {nowMs: t0}), {ok: false, error: 'Invalid Sender key'});
});

test('the replay guard forgets ids once their window has passed and stays bounded', () => {
	const g = new RequestIdGuard(3);
	assert.equal(g.claim('a', 100, 0), true);
	assert.equal(g.claim('b', 100, 0), true);
	assert.equal(g.claim('c', 200, 0), true);
	assert.equal(g.claim('d', 200, 50), false, 'full of live ids');
	assert.equal(g.claim('d', 300, 150), true, 'a and b expired and were pruned');
	assert.equal(g.claim('a', 300, 150), true);
	assert.equal(g.size, 3);
});

test('auth failure body', () => {
	assert.deepEqual(epistulaErrorBody('Request is too stale'), {detail: {error: 'Request is too stale', message: 'EpistulaError: Request is too stale', name: 'EpistulaError'}});
});
