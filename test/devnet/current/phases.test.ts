// The current orchestrator's phase machine on its SQLite state with an explicit clock: thresholds,
// inactive miners, layers without eligible miners, phase timeouts and when the run's epoch moves.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {advanceCurrentPhases} from '../../../source/devnet/current/phases.js';
import {resolveCurrentSettings} from '../../../source/devnet/current/settings.js';
import {CurrentState} from '../../../source/devnet/current/state.js';

test('phases: counts start the cycle per layer, timeouts end it, the epoch moves only after a merge', () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-current-phases-'));
	const s = resolveCurrentSettings({batches_before_merging: 2, upload_threshold: 0.75, merge_threshold: 0.5, partitions_threshold: 0.5, num_partitions: 4, phase_timeout_s: 100, miner_inactive_s: 50});
	let now = 1_000_000;
	const st = new CurrentState(join(dir, 'c.sqlite'), 3, now);
	try {
		const add = (h: string, layer: number) => st.upsertMiner({hotkey: h, layer, p2p_node_id: `n-${h}`, coldkey: null}, now);
		const back = (h: string, n: number) => {
			for (let i = 0; i < n; i++) st.bump(h, 'backwards');
		};
		const phases = () => st.layers().map(l => l.phase);
		add('a', 0); add('b', 0); add('c', 1); add('d', 2);
		back('a', 2); back('c', 2);
		advanceCurrentPhases(st, s, now);
		assert.deepEqual(phases(), ['training', 'training', 'training'], '2 of 4 ready < 0.75');
		// d goes quiet: 2 of the 3 active miners are not enough either; with b ready, 3 of 3 are.
		now += 60_000;
		for (const h of ['a', 'b', 'c']) st.touch(h, now);
		back('b', 2);
		const log = advanceCurrentPhases(st, s, now);
		assert.deepEqual(phases(), ['weights_uploading', 'weights_uploading', 'training'], 'layer 2 has no eligible miner: it keeps training');
		assert.match(log.join('\n'), /layer 0: weights_uploading \(2 eligible\)/);
		assert.equal(st.run().cycle_open, 1);
		// Layer 0: one of two eligible submits (0.5) -> merging; layer 1 never submits.
		const first = st.merge.submit(0, 0, 'a', 'weights/a', 2, now);
		assert.equal(first.optimizer_uploader, 1);
		assert.equal(st.merge.submit(0, 0, 'a', 'weights/a2', 2, now).optimizer_uploader, 1, 'a resubmission keeps the role');
		advanceCurrentPhases(st, s, now);
		assert.deepEqual(phases(), ['merging_partitions', 'weights_uploading', 'training']);
		assert.deepEqual(st.merge.assignmentsFor(0, 0, 'a').map(x => [x.chunk, x.other]), [[0, null], [1, null], [2, null], [3, null]]);
		st.merge.addMerged({layer: 0, chunk: 2, epoch: 0, hotkey: 'a', other: null, blob_key: 'partition/a/2'}, now);
		advanceCurrentPhases(st, s, now);
		assert.equal(phases()[0], 'merging_partitions', '1 of 4 chunks < 0.5');
		// Past the phase timeout: layer 0 keeps what was merged, layer 1 drops its (empty) epoch.
		now += 100_001;
		const timeouts = advanceCurrentPhases(st, s, now);
		assert.deepEqual(phases(), ['training', 'training', 'training']);
		assert.match(timeouts.join('\n'), /layer 0: phase timeout: 1\/4 chunks merged for epoch 0/);
		assert.match(timeouts.join('\n'), /layer 1: phase timeout in weights_uploading, back to training/);
		assert.deepEqual({...st.run()}, {epoch: 1, cycle_open: 0, cycle_merged: 0, samples_served: 0}, 'one layer merged: the epoch moves');
		assert.deepEqual(st.merge.currentPartitions(0).map(p => [p.chunk, p.blob_key]), [[2, 'partition/a/2']]);
		assert.deepEqual([st.miner('a')!.backwards_since_reset, st.miner('c')!.backwards_since_reset], [0, 2], 'only the merged layer resets');
		// A cycle where nobody submits ends by timeout without moving the epoch.
		for (const h of ['a', 'b', 'c', 'd']) st.touch(h, now);
		back('a', 2); back('b', 2); back('d', 2);
		advanceCurrentPhases(st, s, now);
		assert.deepEqual(phases(), ['weights_uploading', 'weights_uploading', 'weights_uploading']);
		now += 100_001;
		advanceCurrentPhases(st, s, now);
		assert.equal(st.run().epoch, 1);
		assert.equal(st.run().cycle_open, 0);
	} finally {
		st.close();
		rmSync(dir, {recursive: true, force: true});
	}
});
