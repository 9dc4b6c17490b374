// The reduced miner fuzz run (real runtime, fake hostile orchestrator and store, real local chain):
// nothing crashes, nothing hostile is acted on, nothing hangs.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {target} from '../../fuzz/miner.js';

test('miner fuzz (reduced): no crash, nothing accepted, no 5xx, no hang', {timeout: 240_000}, async () => {
	const lines: string[] = [];
	const rows = await target.run({reduced: true, log: line => lines.push(line)});
	assert.ok(rows.length >= 2, 'orchestrator and store rows');
	for (const row of rows) {
		assert.ok(row.tried > 0, `${row.target}: tried`);
		const bad = lines.filter(l => / (CRASHED|ACCEPTED|HUNG)/.test(l) || /escaped:/.test(l)).join('\n');
		assert.deepEqual([row.crashed, row.accepted, row.fivexx, row.hung], [0, 0, 0, 0], `${row.target}\n${bad}`);
	}
});
