// The reduced orchestrator fuzz run: every category of hostile request against a real devnet
// orchestrator is refused with a 4xx, and the orchestrator survives all of it.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {target} from '../../fuzz/orchestrator.js';

test('orchestrator fuzz (reduced): no crash, nothing hostile accepted, no 5xx, no hang', {timeout: 120_000}, async () => {
	const lines: string[] = [];
	const rows = await target.run({reduced: true, log: line => lines.push(line)});
	assert.ok(rows.length > 0);
	for (const r of rows) {
		assert.ok(r.tried > 0, `${r.target}: nothing tried`);
		assert.deepEqual({crashed: r.crashed, accepted: r.accepted, fivexx: r.fivexx, hung: r.hung}, {crashed: 0, accepted: 0, fivexx: 0, hung: 0}, `${r.target}:\n${lines.join('\n')}`);
	}
});
