// The reduced current-protocol fuzz run: every category of hostile request against a real devnet
// orchestrator (spec 30017) is refused with a reason, and the orchestrator survives all of it.
import {test} from 'node:test';
import {assertClean} from './clean.js';
import assert from 'node:assert/strict';
import {target, verdict} from '../../fuzz/current.js';

test('current orchestrator fuzz (reduced): no crash, nothing hostile accepted, no 5xx, no hang', {timeout: 120_000}, async () => {
	await assertClean(target);
});

test('a 200 with an error_name is a refusal, one without a reason is not a clear one', () => {
	assert.equal(verdict({kind: 'answer', status: 200, detail: 'LayerStateError: Layer 1 is in training', errorName: 'LayerStateError'}), null);
	assert.equal(verdict({kind: 'answer', status: 200, detail: '{"ok": true}'}), 'accepted');
	assert.equal(verdict({kind: 'answer', status: 200, detail: 'InvalidRequestError: ', errorName: 'InvalidRequestError'}), '5xx');
	assert.equal(verdict({kind: 'answer', status: 400, detail: ''}), '5xx');
	assert.equal(verdict({kind: 'answer', status: 503, detail: 'busy'}), '5xx');
	assert.equal(verdict({kind: 'hung'}), 'hung');
});
