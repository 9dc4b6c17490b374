// Epistula signing and verification with real sr25519 keys.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Keyring} from '@polkadot/keyring';
import {cryptoWaitReady, mnemonicGenerate} from '@polkadot/util-crypto';
import {ReplayGuard, epistulaMessage, signRequest, verifyRequest} from '../../source/orchestrator/epistula.js';

const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

test('sign then verify; message layout; refusals', async () => {
	await cryptoWaitReady();
	const kr = new Keyring({type: 'sr25519', ss58Format: 42});
	const a = kr.addFromMnemonic(mnemonicGenerate());
	const b = kr.addFromMnemonic(mnemonicGenerate());
	assert.equal(epistulaMessage('{}', 'u', 5), '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a.u.5.');
	const body = '{"a": 1}';
	const h = lower({...signRequest(a, body, {timestampMs: 1_000_000})});
	assert.equal(h['epistula-version'], '2');
	assert.match(h['epistula-request-signature']!, /^0x[0-9a-f]{128}$/);
	const ok = verifyRequest(h, body, {nowMs: 1_005_000});
	assert.deepEqual(ok, {ok: true, hotkey: a.address, uuid: h['epistula-uuid'], timestampMs: 1_000_000});
	assert.equal(verifyRequest(h, '{"a": 2}', {nowMs: 1_005_000}).ok, false);
	assert.equal(verifyRequest({...h, 'epistula-signed-by': b.address}, body, {nowMs: 1_005_000}).ok, false);
	assert.equal(verifyRequest(h, body, {nowMs: 1_010_001}).ok, false, 'stale after 10 s');
	assert.equal(verifyRequest(h, body, {nowMs: 989_999}).ok, false, 'too far in the future');
	const guard = new ReplayGuard(10_000);
	assert.equal(verifyRequest(h, body, {nowMs: 1_000_000, replay: guard}).ok, true);
	assert.deepEqual(verifyRequest(h, body, {nowMs: 1_000_000, replay: guard}), {ok: false, error: 'replayed request (uuid already used)'});
	assert.equal(verifyRequest({}, body).ok, false);
});
