// The reduced chaos cases on the current protocol's swarm (6 miners): chain link cut, clock skew,
// orchestrator SIGKILLed mid-training and mid-merge, the whole swarm restarted on its data dir.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {reducedChaos} from './helpers.js';

test('chaos (reduced, current protocol): every case passes and counts what it did', async () => {
	const {rows, code, log} = await reducedChaos('current');
	assert.deepEqual(rows.filter(r => r.result !== 'pass'), [], log);
	assert.deepEqual(rows.map(r => r.case), ['chain-drop', 'clock-skew', 'orchestrator-restart', 'swarm-restart']);
	for (const r of rows) assert.ok(Object.keys(r.counts).length > 0, `${r.case} counted nothing`);
	assert.equal(code, 0);
});
