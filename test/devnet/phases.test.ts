// The phase machine and merge plan on the SQLite state directly, with an explicit clock.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {OrchestratorState} from '../../source/devnet/state.js';
import {advancePhases, mergePlan, sectionsFor} from '../../source/devnet/phases.js';
import {resolveSettings} from '../../source/orchestrator/settings.js';

test('merge plan: n(n-1)/2 sections, every pair of submitters once, one miner alone', () => {
	assert.deepEqual([1, 2, 3, 4, 5].map(sectionsFor), [1, 1, 3, 6, 10]);
	const plan = mergePlan(['d', 'a', 'c', 'b'], 6, 42);
	assert.equal(plan.length, 6);
	assert.deepEqual(plan.map(p => p.join('')).sort(), ['ab', 'ac', 'ad', 'bc', 'bd', 'cd']);
	assert.deepEqual(mergePlan(['a', 'b', 'c', 'd'], 6, 42), plan, 'deterministic for a seed');
	assert.deepEqual(mergePlan(['x'], 1, 1), [['x']]);
	assert.deepEqual(mergePlan(['a', 'b', 'c'], 1, 1).length, 1, 'never more chunks than sections');
});

test('phases: thresholds, weighting factor, merge, and the phase timeout', () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-phases-'));
	const s = resolveSettings({layers: 2, batches_before_merging: 2, upload_threshold: 0.75, merge_threshold: 0.5, partitions_threshold: 0.3, phase_timeout_s: 100});
	let now = 1_000_000;
	const st = new OrchestratorState(join(dir, 'o.sqlite'), s.layers, now);
	try {
		const hks = ['h0', 'h1', 'h2', 'h3', 'h4'];
		hks.forEach((h, i) => st.addMiner(h, i < 3 ? 0 : 1, now));
		const back = (h: string, n: number) => {
			for (let i = 0; i < n; i++) st.bump(h, 'backwards');
		};
		back('h0', 2); back('h1', 2); back('h3', 2);
		advancePhases(st, s, now);
		assert.equal(st.layer(0)!.phase, 'is_training', '3 of 5 ready < 0.75');
		back('h2', 2);
		advancePhases(st, s, now);
		assert.deepEqual(st.layers().map(l => [l.phase, l.num_sections]), [['weights_uploading', 3], ['weights_uploading', 1]]);
		const sub = (h: string, layer: number) => st.upsertSubmission(layer, 0, {hotkey: h, weights_path: 'w', weight_metadata_path: 'm', optimizer_state_path: 'o', optimizer_state_metadata_path: 'om', weighting_factor: 1 + st.miner(h)!.backwards_since_reset}, now);
		sub('h0', 0);
		advancePhases(st, s, now);
		assert.equal(st.layer(0)!.phase, 'weights_uploading', '1 of 3 < 0.5');
		sub('h1', 0);
		advancePhases(st, s, now);
		assert.equal(st.layer(0)!.phase, 'miners_merging_partitions');
		assert.equal(st.submissions(0, 0)[0]!.weighting_factor, 3);
		assert.deepEqual(st.chunksFor(0, 0, 'h0'), [0]);
		assert.deepEqual(st.chunksFor(0, 0, 'h2'), []);
		const part = {layer: 0, chunk_number: 0, miner_hotkey: 'h0', weight_path: 'w', weight_metadata_path: 'm', optimizer_state_path: 'o', optimizer_state_metadata_path: 'om', weight_data: {chunk_start_idx: 0, chunk_end_idx: 1, chunk_start_byte: 0, chunk_end_byte: 2, chunk_dtype: 'bfloat16', chunk_length: 1}, optimizer_state_data: {chunk_start_idx: 0, chunk_end_idx: 1, chunk_start_byte: 0, chunk_end_byte: 2, chunk_dtype: 'bfloat16', chunk_length: 1}};
		assert.equal(st.addPartition(0, 0, part), true);
		assert.equal(st.addPartition(0, 0, {...part, miner_hotkey: 'h1'}), false, 'one partition per chunk is kept');
		advancePhases(st, s, now);
		assert.equal(st.layer(0)!.phase, 'is_training', '1 of 3 sections > 0.3');
		assert.equal(st.layer(0)!.epoch, 1);
		assert.equal(st.layerWeights(0).length, 1);
		assert.equal(st.miner('h0')!.backwards_since_reset, 0);
		assert.equal(st.miner('h3')!.backwards_since_reset, 2, 'other layers keep their counters');
		// Layer 1 never gets a submission: the phase timeout returns it to training.
		now += 100_000;
		advancePhases(st, s, now);
		assert.equal(st.layer(1)!.phase, 'weights_uploading');
		now += 1;
		const log = advancePhases(st, s, now);
		assert.equal(st.layer(1)!.phase, 'is_training');
		assert.match(log.join('\n'), /phase timeout/);
	} finally {
		st.close();
		rmSync(dir, {recursive: true, force: true});
	}
});
