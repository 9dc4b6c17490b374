// The reduced orchestrator fuzz run: every category of hostile request against a real devnet
// orchestrator is refused with a 4xx, and the orchestrator survives all of it.
import {test} from 'node:test';
import {assertClean} from './clean.js';
import {target} from '../../fuzz/orchestrator.js';

test('orchestrator fuzz (reduced): no crash, nothing hostile accepted, no 5xx, no hang', {timeout: 120_000}, async () => {
	await assertClean(target);
});
