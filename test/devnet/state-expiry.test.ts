// v1 devnet state: a backward that times out (its miner lost the forward input, e.g. it restarted)
// drops the sample everywhere and frees the caches holding it; a timed-out forward goes back to the pool.
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {OrchestratorState} from '../../source/devnet/state.js';

test('a timed-out backward drops its sample and frees every cache holding it; a timed-out forward returns to the pool', () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-expiry-'));
	try {
		const s = new OrchestratorState(join(dir, 'state.sqlite'), 3, 0);
		// Sample u: layer 0 (miner A) and layer 1 (miner B) did their forwards and hold the inputs.
		s.addCache('A', 'u', 0, 0);
		s.addCache('B', 'u', 1, 0);
		s.addTask('u', 1, 'backward', 'activations/u/2/backward/x.bin', 'B', 'C', 0);
		const back = s.nextTask(1, 'backward', 'B')!;
		s.takeTask(back.id, 'B', 10);
		// Sample v: a forward handed to B.
		s.addTask('v', 1, 'forward', 'activations/v/0/forward/y.bin', null, 'A', 0);
		s.takeTask(s.nextTask(1, 'forward', null)!.id, 'B', 10);
		assert.equal(s.held('A'), 1);
		assert.equal(s.held('B'), 2);
		assert.equal(s.reclaimExpired(5), 0, 'nothing older than the cutoff');
		assert.equal(s.reclaimExpired(11), 2);
		assert.equal(s.held('A'), 0, "A's cache slot for the dead sample is free");
		assert.equal(s.held('B'), 0);
		assert.equal(s.nextTask(1, 'backward', 'B'), undefined, 'the dead backward is not handed out again');
		assert.equal(s.isActive(0, 'u'), false);
		assert.equal(s.nextTask(1, 'forward', null)?.uid, 'v', 'the forward is back in the pool');
		// Cache rows past the cache timeout go on their own.
		s.addCache('A', 'w', 0, 100);
		s.reclaimExpired(0, 50);
		assert.equal(s.held('A'), 1);
		s.reclaimExpired(0, 101);
		assert.equal(s.held('A'), 0);
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});
