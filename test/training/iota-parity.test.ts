// IOTA's Llama-3 stages in TF.js against a PyTorch reference built from the documented architecture:
// parameter names/shapes/order of every public config (meta device), and forward/backward/optimizer numbers.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../source/training/backend.js';
import {effectiveRopeBase, getPublicModel, publicModels, splitsFromModelSplits} from '../../source/training/llama3/config.js';
import {IOTA_INNER, InnerOptimizer, stageBeta1} from '../../source/training/llama3/inner-optimizer.js';
import {countParams, stageParams} from '../../source/training/llama3/params.js';
import {inverseFrequencies} from '../../source/training/llama3/rope.js';
import {findTorchPython, runRef, torchSkip} from './torch_ref/bridge.js';
import {optimizerParity} from './torch_ref/optim-parity.js';
import {type ParityRow, stageParity} from './torch_ref/parity.js';

const python = findTorchPython();
const skip = torchSkip(python);
const TOL = 1e-4;
const table: string[] = [];

before(async () => { await initBackend('cpu'); });
after(() => {
	if (table.length === 0) return;
	console.log(['', '| config | stage | params | output | input grad | weight grad | loss |', '|---|---|---|---|---|---|---|', ...table].join('\n'));
});

test('every public config: stage parameter names, shapes and order equal PyTorch modules on the meta device', {skip}, () => {
	const items = Object.values(publicModels).flatMap(m => m.splits.map(split => ({cfg: m.cfg, split})));
	const torch = JSON.parse(runRef(python!, ['shapes'], JSON.stringify(items))) as Array<Array<[string, number[]]>>;
	assert.equal(torch.length, items.length);
	items.forEach(({cfg, split}, i) => {
		const mine = stageParams(cfg, split).map(p => [p.name, p.shape]);
		assert.deepEqual(mine, torch[i], `${cfg.model_name} ${split.kind} [${split.start}, ${split.end})`);
	});
});

const fmt = (x: number | null) => (x === null ? '-' : x.toExponential(1));

function checkRow(name: string, kind: string, row: ParityRow) {
	table.push(`| ${name} | ${kind} | ${row.params} | ${fmt(row.output)} | ${fmt(row.inputGrad)} | ${fmt(row.weightGrad)} | ${fmt(row.loss)} |`);
	assert.ok(row.noneMatch, 'the parameters without a gradient differ from PyTorch\'s None grads');
	assert.ok(row.output < TOL, `output rel. error ${row.output}`);
	assert.ok(row.inputGrad === null || row.inputGrad < TOL, `input grad rel. error ${row.inputGrad}`);
	assert.ok(row.weightGrad < TOL, `weight grad rel. error ${row.weightGrad}`);
	assert.ok(row.loss === null || row.loss < TOL, `loss rel. error ${row.loss}`);
}

const shapes: Record<string, {batch: number; seq: number}> = {tiny: {batch: 2, seq: 8}, devnet: {batch: 2, seq: 16}, '100M': {batch: 1, seq: 6}};
for (const name of ['tiny', 'devnet', '100M']) {
	for (const split of getPublicModel(name).splits) {
		test(`${name} ${split.kind} [${split.start}, ${split.end}): TF.js forward and gradients equal PyTorch (fp32)`, {skip, timeout: 300_000}, () => {
			// tiny's tail also checks IOTA's pad masking (pack=False): a run of EOS where only the first counts.
			const padTokenId = name === 'tiny' && split.kind === 'tail' ? 3 : undefined;
			const row = stageParity(python!, getPublicModel(name).cfg, split, {...shapes[name]!, seed: 5, padTokenId});
			checkRow(name, split.kind, row);
		});
	}
}

test('stage sizes add up to Llama-3 plus the bottleneck weights (no PyTorch needed)', () => {
	// One block of 100M: k, v [128, 512] (8 kv groups x head dim 16), q, out [512, 512], fc1..3 512x512, 2 norms.
	const block100M = 2 * 128 * 512 + 2 * 512 * 512 + 3 * 512 * 512 + 2 * 512;
	const {cfg, splits} = getPublicModel('100M');
	// Head: embedding, 2 blocks, the bottleneck block (+ idle decoder [512, 128] + fc4 [128, 512]).
	assert.equal(countParams(stageParams(cfg, splits[0]!)), 128_256 * 512 + 3 * block100M + 2 * 512 * 128);
	// Tail: 3 blocks, the first with its decoder, final norm and output head.
	assert.equal(countParams(stageParams(cfg, splits[1]!)), 3 * block100M + 512 * 128 + 512 + 128_256 * 512);
	// 1B over all stages: untied Llama-3.2-1B, plus fc4 and a decoder per boundary, plus idle decoders in head and body.
	const b = getPublicModel('1B');
	const e = 2048, kv = 8 * 64, h = 8192;
	const llama = 2 * 128_256 * e + 16 * (2 * kv * e + 2 * e * e + 3 * e * h + 2 * e) + e;
	const total = b.splits.reduce((n, s) => n + countParams(stageParams(b.cfg, s)), 0);
	assert.equal(total, llama + 2 * 2 * e * 32 + 2 * e * 32);
	assert.equal(tf.getBackend(), 'cpu');
});

for (const [name, make] of [
	['NAdam, stage 0 of 3 (beta1 0.96)', () => InnerOptimizer.forStage(3, 0, false, 3)],
	['NAdam, last stage of 5 (beta1 0.9)', () => InnerOptimizer.forStage(5, 4, false, 3)],
	['AdamW (use_AdamW)', () => InnerOptimizer.forStage(3, 1, true, 3)],
] as const) {
	test(`${name}: three steps equal PyTorch's`, {skip}, () => {
		const opt = make();
		opt.options.lr = 1e-2; // large enough that the update, not the weight, dominates the comparison
		const r = optimizerParity(python!, opt, 3, 21);
		table.push(`| optimizer | ${name} | - | ${fmt(r.deltaErr)} (update) | - | - | - |`);
		console.log(`${name}: reference ${r.reference}${r.legacyCheck === undefined ? '' : `, legacy torch check ${r.legacyCheck}`}`);
		assert.ok(r.deltaErr < TOL, `update rel. error ${r.deltaErr}`);
		// On torch < 2.1 the reference is our Python port; it must reproduce that torch's own NAdam in legacy mode.
		if (r.legacyCheck !== undefined) assert.ok(r.legacyCheck < 1e-6, `legacy check ${r.legacyCheck}`);
	});
}

test('stage beta1 and IOTA settings; a parameter without gradient keeps its value and gets no state', () => {
	assert.equal(stageBeta1(3, 0), 0.9 + 0.09 * 2 / 3);
	assert.equal(stageBeta1(3, 2), 0.9);
	assert.throws(() => stageBeta1(3, 3));
	const opt = InnerOptimizer.forStage(2, 0, false, 2);
	assert.deepEqual({...opt.options, beta1: 0}, {...IOTA_INNER, beta1: 0});
	assert.equal(opt.options.beta1, 0.9 + (1 / 2) * 0.09); // same float expression as model_mixin.py
	const p = [tf.ones([2]), tf.ones([2])];
	const next = opt.step(p, [tf.ones([2]), null]);
	assert.equal(next[1], p[1]);
	assert.equal(opt.state(1), null);
	assert.equal(opt.state(0)!.step, 1);
	assert.ok(next[0]!.dataSync()[0]! < 1);
	opt.dispose();
});

test('configs: splits from MODEL_SPLITS, rope theta rescale, and the Llama-3 frequency bands the tests exercise', () => {
	assert.deepEqual(splitsFromModelSplits([[-1, 3], [3, 5], [5, -1]], 6),
		[{kind: 'head', start: 0, end: 3}, {kind: 'body', start: 3, end: 5}, {kind: 'tail', start: 5, end: 6}]);
	assert.throws(() => splitsFromModelSplits([[-1, 3], [3, 3], [3, -1]], 6), /invalid body split/);
	assert.throws(() => splitsFromModelSplits([[-1, -1]], 6), /head and a tail/);
	assert.equal(effectiveRopeBase(getPublicModel('100M').cfg), 31_250); // 500,000 * 8192 / 131,072
	assert.equal(effectiveRopeBase(getPublicModel('45B').cfg), 500_000);
	assert.equal(getPublicModel('100B').cfg.rope_freq, null);
	assert.equal(getPublicModel('45B').splits.length, 17);
	assert.equal(getPublicModel('100B').splits.length, 23);
	// tiny (head dim 16): kept (high), smoothed (medium) and divided-by-32 (low) frequencies all occur.
	const tiny = getPublicModel('tiny').cfg;
	const scaled = inverseFrequencies(tiny);
	const plain = inverseFrequencies({...tiny, rope_freq: null});
	const ratios = Array.from(scaled, (x, i) => plain[i]! / x);
	assert.ok(ratios.some(r => r === 1) && ratios.some(r => Math.abs(r - 32) < 1e-4) && ratios.some(r => r > 1.01 && r < 31.9), ratios.join(' '));
});
