// The whole model in one worker (LlamaModelTrainer, behind `train`): its fused pass equals IOTA's stages chained
// through forward/backward, each stage clips and steps on its own, micro-batches accumulate; plus the hand-written
// gradients of ops.ts against TF.js's stock ones.
import assert from 'node:assert/strict';
import {before, test} from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../source/training/backend.js';
import {getConfig} from '../../source/training/config.js';
import {LlamaModelTrainer} from '../../source/training/llama-model-trainer.js';
import {LlamaTrainer} from '../../source/training/llama-trainer.js';
import {llamaModelFor} from '../../source/training/llama3/from-model-config.js';
import {countParams, stageParams} from '../../source/training/llama3/params.js';
import {bmm, rmsNorm} from '../../source/training/ops.js';
import type {StepResult} from '../../source/training/protocol.js';
import {float32, int32} from '../../source/training/tensor-data.js';

before(async () => { await initBackend('cpu'); });

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
	let d = 0, n = 0;
	for (let i = 0; i < a.length; i++) { d += (a[i]! - b[i]!) ** 2; n += a[i]! ** 2; }
	return Math.sqrt(d / Math.max(n, 1e-30));
};

function randomIds(n: number, vocab: number, seed: number) {
	let s = seed;
	return Int32Array.from({length: n}, () => (s = (s * 1103515245 + 12345) >>> 0) % vocab);
}

const c = {...getConfig('tiny'), batchSize: 2, seqLen: 12};
const shape = [c.batchSize, c.seqLen];
const all = [0, 1, 2];

/** The three stages as three miners run them: head -> body -> tail forward, then backward tail -> head. */
async function chained(parts: LlamaTrainer[], ids: Int32Array): Promise<number> {
	const h = await parts[0]!.forward('a', int32(ids, shape));
	const m = await parts[1]!.forward('a', h.output!);
	const loss = (await parts[2]!.forward('a', m.output!, int32(ids, shape))).loss!;
	const tail = await parts[2]!.backward('a');
	const mid = await parts[1]!.backward('a', tail.inputGrad);
	const head = await parts[0]!.backward('a', mid.inputGrad);
	assert.equal(head.inputGrad, undefined);
	assert.equal(tail.loss, loss);
	return loss;
}

async function concat(parts: LlamaTrainer[], f: (t: LlamaTrainer) => Promise<Float32Array>): Promise<Float32Array> {
	const vs = [];
	for (const p of parts) vs.push(await f(p));
	const out = new Float32Array(vs.reduce((n, v) => n + v.length, 0));
	let at = 0;
	for (const v of vs) { out.set(v, at); at += v.length; }
	return out;
}

test('batched matMul and rmsNorm gradients equal the stock TF.js gradients', () => {
	const c3 = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 3), d = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 4);
	const [gc, gd] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(bmm(x, y))))([c3, d]);
	const [sc, sd] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D))))([c3, d]);
	assert.ok(relErr(gc!.dataSync(), sc!.dataSync()) < 1e-6);
	assert.ok(relErr(gd!.dataSync(), sd!.dataSync()) < 1e-6);

	const xn = tf.randomNormal([5, 8], 0, 2, 'float32', 7), gn = tf.randomNormal([8], 1, 0.3, 'float32', 8);
	const stockNorm = (x: tf.Tensor, g: tf.Tensor) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-5))), g);
	assert.ok(relErr(rmsNorm(xn as tf.Tensor2D, gn, 1e-5).dataSync(), stockNorm(xn, gn).dataSync()) < 1e-6);
	const w = tf.randomNormal([5, 8], 0, 1, 'float32', 9); // a non-uniform upstream gradient
	const [gx, gg] = tf.grads((x: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(rmsNorm(x as tf.Tensor2D, g, 1e-5), w)))([xn, gn]);
	const [sx, sg] = tf.grads((x: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(stockNorm(x, g), w)))([xn, gn]);
	assert.ok(relErr(gx!.dataSync(), sx!.dataSync()) < 1e-5, `rmsNorm dx ${relErr(gx!.dataSync(), sx!.dataSync())}`);
	assert.ok(relErr(gg!.dataSync(), sg!.dataSync()) < 1e-5, `rmsNorm dg ${relErr(gg!.dataSync(), sg!.dataSync())}`);
});

test('the whole model equals the stages chained through forward/backward: loss and every gradient (bottleneck path included)', async () => {
	const ids = randomIds(c.batchSize * c.seqLen, c.vocabSize, 9);
	const whole = new LlamaModelTrainer({config: c, stages: all, seed: 5});
	const wholeLoss = await whole.trainBatch(int32(ids, shape));
	assert.ok(Math.abs(await whole.evalLoss(int32(ids, shape)) - wholeLoss) <= 1e-6 * wholeLoss, 'evalLoss is the same loss without a tape');
	const wholeGrads = await whole.exportGradients();
	const parts = all.map(s => new LlamaTrainer({config: c, stages: [s], seed: 5}));
	const loss = await chained(parts, ids);
	assert.ok(Math.abs(loss - wholeLoss) <= 1e-6 * Math.abs(wholeLoss), `${loss} vs ${wholeLoss}`);
	assert.deepEqual(await whole.exportWeights(), await concat(parts, p => p.exportWeights()), 'same seeded weights, head first');
	const grads = await concat(parts, p => p.exportGradients());
	assert.equal(grads.length, wholeGrads.length);
	// Per parameter tensor: relative error within 1e-5; a zero gradient only where PyTorch has none (the head's idle decoder).
	const {cfg, splits} = llamaModelFor(c);
	let at = 0;
	for (const [k, split] of splits.entries()) {
		for (const [i, p] of stageParams(cfg, split).entries()) {
			const n = p.shape.reduce((a, b) => a * b, 1);
			const a = wholeGrads.subarray(at, at + n), b = grads.subarray(at, at + n);
			if (parts[k]!.stage.isUsed(i)) assert.ok(a.some(x => x !== 0), `stage ${k} ${p.name} has a zero gradient`);
			else assert.ok(a.every(x => x === 0), `stage ${k} ${p.name} is unused but has a gradient`);
			assert.ok(relErr(a, b) <= 1e-5, `stage ${k} ${p.name}: relative error ${relErr(a, b)}`);
			at += n;
		}
	}
	[whole, ...parts].forEach(t => t.dispose());
});

test('every stage clips to its own share and takes its own inner step: one whole-model step equals the three stage steps', async () => {
	const ids = randomIds(c.batchSize * c.seqLen, c.vocabSize, 3);
	const whole = new LlamaModelTrainer({config: c, stages: all, seed: 1});
	const parts = all.map(s => new LlamaTrainer({config: c, stages: [s], seed: 1}));
	const {cfg, splits} = llamaModelFor(c);
	const total = splits.reduce((n, s) => n + countParams(stageParams(cfg, s)), 0);
	assert.deepEqual(whole.clipNorms, parts.map(p => p.clipNorm));
	parts.forEach(p => assert.ok(Math.abs(p.clipNorm - Math.sqrt(p.numParams / total)) < 1e-12));
	assert.ok(Math.abs(whole.clipNorm - 1) < 1e-12, 'the shares add up to the whole model');
	for (let step = 1; step <= 2; step++) {
		await whole.trainBatch(int32(ids, shape));
		await chained(parts, ids);
		const r = await whole.step(3e-3);
		const rs: StepResult[] = [];
		for (const p of parts) rs.push(await p.step(3e-3));
		assert.equal(r.step, step);
		assert.equal(r.microBatches, 1);
		r.stages!.forEach((s, k) => {
			assert.ok(Math.abs(s.gradNorm - rs[k]!.gradNorm) <= 1e-5 * rs[k]!.gradNorm, `stage ${k} norm ${s.gradNorm} vs ${rs[k]!.gradNorm}`);
			assert.ok(Math.abs(s.clipScale - rs[k]!.clipScale) <= 1e-5);
		});
		assert.ok(Math.abs(r.gradNorm - Math.hypot(...rs.map(x => x.gradNorm))) <= 1e-5 * r.gradNorm);
		assert.equal(r.clipScale, Math.min(...r.stages!.map(s => s.clipScale)));
		assert.ok(r.stages!.some(x => x.clipScale < 1) && r.stages!.some(x => x.clipScale === 1), 'some stages clip, some do not: per-stage norms matter');
	}
	assert.ok(relErr(await whole.exportWeights(), await concat(parts, p => p.exportWeights())) < 1e-5);
	assert.ok(relErr(await whole.exportOptimizerState(), await concat(parts, p => p.exportOptimizerState())) < 1e-4);
	assert.equal(whole.stats().step, 2);
	[whole, ...parts].forEach(t => t.dispose());
});

test('gradient accumulation sums micro-batches; the step uses their mean', async () => {
	const a = randomIds(c.batchSize * c.seqLen, c.vocabSize, 11), b = randomIds(c.batchSize * c.seqLen, c.vocabSize, 12);
	const t = new LlamaModelTrainer({config: c, stages: all, seed: 2});
	await t.trainBatch(int32(a, shape));
	const ga = await t.exportGradients();
	await t.trainBatch(int32(b, shape));
	const gab = await t.exportGradients();
	assert.equal(t.stats().pendingMicroBatches, 2);
	const u = new LlamaModelTrainer({config: c, stages: all, seed: 2});
	await u.trainBatch(int32(b, shape));
	const gb = await u.exportGradients();
	assert.ok(relErr(ga.map((x, i) => x + gb[i]!), gab) < 1e-6);
	// The step sees the mean of the two: half the summed gradient's norm.
	const r = await t.step(0);
	assert.equal(r.microBatches, 2);
	const half = Math.sqrt(gab.reduce((n, x) => n + x * x, 0)) / 2;
	assert.ok(Math.abs(r.gradNorm - half) <= 1e-5 * half, `${r.gradNorm} vs ${half}`);
	t.dispose(); u.dispose();
});

test('bad whole-model input is a clear one-line error', async () => {
	assert.throws(() => new LlamaModelTrainer({config: c, stages: [0, 1]}), /takes every stage in order, \[0,1,2\], got \[0,1\]/);
	assert.throws(() => new LlamaModelTrainer({config: c, stages: [0, 2, 1]}), /takes every stage in order/);
	const t = new LlamaModelTrainer({config: c, stages: all});
	await assert.rejects(t.trainBatch(float32(new Float32Array(24), shape)), /training input must be int32 token ids \[batch, seq\], got float32/);
	await assert.rejects(t.trainBatch(int32(Int32Array.from({length: 2 * 40}, () => 1), [2, 40])), /sequence length 40 outside 2\.\.12/);
	await assert.rejects(t.evalLoss(int32(Int32Array.from({length: 24}, (_, i) => (i === 3 ? 257 : 1)), shape)), /token id 257 is outside the vocabulary \[0, 257\)/);
	await assert.rejects(t.step(1e-3), /optimizer step without any backward pass/);
	await assert.rejects(t.step(NaN), /learning rate must be a finite number >= 0/);
	await assert.rejects(t.forward(), /forward takes one stage/);
	await assert.rejects(t.importWeights(new Float32Array(5)), /weights have 5 elements, this model needs \d+/);
	await assert.rejects(t.importOptimizerState(new Float32Array(5)), /optimizer state has 5 elements, this model needs \d+/);
	t.dispose();
});
