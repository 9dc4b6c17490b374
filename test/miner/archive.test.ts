// Regression (found by the miner e2e): a merge on layer L archives L's activations; the cache rows
// the previous layer's miner holds for those samples must go too, or its cache fills with dead
// samples and the head stops with out_of_cache after a few merges.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {OrchestratorState} from '../../source/devnet/state.js';

test('archiving a layer frees the cache slots other layers held for its samples', () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-archive-'));
	const s = new OrchestratorState(join(dir, 'o.sqlite'), 3, 0);
	try {
		s.addMiner('head', 0, 0);
		s.addMiner('mid', 1, 0);
		for (const uid of ['a', 'b']) {
			s.upsertSample(uid, null, 'head', 0);
			s.addCache('head', uid, 0, 0);
			s.addTask(uid, 1, 'forward', `activations/${uid}/0/forward/x.bin`, null, 'head', 0);
		}
		s.addCache('head', 'c', 0, 0); // a sample whose layer-1 task is already done stays cached
		assert.equal(s.held('head'), 3);
		s.archiveLayer(1);
		assert.equal(s.held('head'), 1);
		assert.equal(s.cacheOwner('c', 0), 'head');
		assert.equal(s.isActive(1, 'a'), false);
	} finally {
		s.close();
		rmSync(dir, {recursive: true, force: true});
	}
});
