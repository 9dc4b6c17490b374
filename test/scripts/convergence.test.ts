// The convergence script's pure parts: the single process's batches are the devnet's samples, the merge cycles are
// found from miner events, and the plot is a well-formed SVG with both curves and the merge lines.
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {cutSamples} from '../../source/devnet/current/samples.js';
import {readCorpus} from '../../source/training/data.js';
import {sampleBatches} from '../../scripts/convergence/data.js';
import {movingAverage, renderPlot} from '../../scripts/convergence/plot.js';
import {uploadStarts} from '../../scripts/convergence/swarm-run.js';
import type {SwarmMiner} from '../miner/swarm.js';
import type {MinerEvent} from '../../source/miner/types.js';

test('sampleBatches: one [B, S] batch per devnet sample, BOS first, then the sample text as bytes', () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-conv-'));
	try {
		const file = join(dir, 'train.txt');
		writeFileSync(file, Array.from({length: 40}, (_, i) => `paragraph ${i} with some words in it`).join('\n\n'));
		const batches = sampleBatches(file, 2, 8, 6, 50);
		const texts = cutSamples(readCorpus(file), 2 * 8 * 6, 50);
		assert.equal(batches.length, texts.length);
		assert.equal(batches[0]!.length, 16);
		assert.equal(batches[0]![0], 256);
		assert.deepEqual([...batches[0]!.slice(1)], [...Buffer.from(texts[0]!).subarray(0, 15)]);
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('uploadStarts: each cycle begins at its first weights_uploading after the previous merge_done', () => {
	const events: MinerEvent[] = [
		{type: 'phase', layer: 2, phase: 'weights_uploading', at: 10},
		{type: 'phase', layer: 2, phase: 'weights_uploading', at: 11},
		{type: 'merge_done', layer: 2, epoch: 1, at: 20},
		{type: 'phase', layer: 2, phase: 'is_training', at: 21},
		{type: 'phase', layer: 2, phase: 'weights_uploading', at: 40},
		{type: 'merge_done', layer: 2, epoch: 2, at: 50},
	];
	const miner = {events} as unknown as SwarmMiner;
	assert.deepEqual(uploadStarts([miner], 2), [10, 40]);
	assert.throws(() => uploadStarts([miner], 3), /merge 3/);
});

test('movingAverage and renderPlot: trailing mean; an SVG with two polylines and a dashed line per merge', () => {
	assert.deepEqual(movingAverage([1, 3, 5, 7], 2), [1, 2, 4, 6]);
	const svg = renderPlot({
		title: 'a < b', tokensPerBatch: 64, window: 2, merges: [2, 4],
		curves: [{name: 'swarm', color: 'red', losses: [5, 4, 3.5, 3]}, {name: 'single', color: 'blue', losses: [5, 3.8, 3.3, 2.9]}],
		finals: [{name: 'swarm', color: 'red', batches: 4, loss: 3.1}],
	});
	assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
	assert.ok(svg.trimEnd().endsWith('</svg>'));
	assert.equal(svg.match(/<polyline /g)?.length, 2);
	assert.equal(svg.match(/stroke-dasharray/g)?.length, 2);
	assert.ok(svg.includes('a &lt; b') && !svg.includes('NaN'));
});
