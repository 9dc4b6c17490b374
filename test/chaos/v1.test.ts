// The reduced chaos cases on the v1 swarm (3 miners, persistent upload queue): object store killed,
// a miner SIGKILLed mid-upload and mid-batch, the whole swarm restarted on its data dir.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {reducedChaos} from './helpers.js';

test('chaos (reduced, v1): every case passes and counts what it did', async () => {
	const {rows, code, log} = await reducedChaos('v1');
	assert.deepEqual(rows.filter(r => r.result !== 'pass'), [], log);
	assert.deepEqual(rows.map(r => r.case), ['store-outage', 'miner-kill', 'swarm-restart-v1']);
	for (const r of rows) assert.ok(Object.keys(r.counts).length > 0, `${r.case} counted nothing`);
	assert.equal(code, 0);
});
