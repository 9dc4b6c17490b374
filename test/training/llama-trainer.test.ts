// The miner's llama3 engine: IOTA's stages, loss, NAdam and flat vectors, in-thread and through the worker.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../source/training/backend.js';
import {TrainerClient} from '../../source/training/client.js';
import {getConfig} from '../../source/training/config.js';
import {LlamaTrainer} from '../../source/training/llama-trainer.js';
import {llamaModelFor} from '../../source/training/llama3/from-model-config.js';
import {InnerOptimizer, stageBeta1} from '../../source/training/llama3/inner-optimizer.js';
import {countParams, numel} from '../../source/training/llama3/params.js';
import {LlamaStage} from '../../source/training/llama3/stages.js';
import {float32, int32} from '../../source/training/tensor-data.js';

const c = getConfig('tiny');
const {cfg, splits} = llamaModelFor(c);
const [b, s] = [c.batchSize, c.seqLen];
const ids = Int32Array.from({length: b * s}, (_, i) => (i * 37 + 5) % c.vocabSize);
const acts = Float32Array.from({length: b * s * c.bottleneckDim}, (_, i) => Math.sin(i * 0.7));
const flat = async (ts: tf.Tensor[]) => Float32Array.from(ts.flatMap(t => [...t.dataSync()]));
const close = (a: Float32Array, e: Float32Array, tol: number) => {
	assert.equal(a.length, e.length);
	let worst = 0;
	for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
	assert.ok(worst <= tol, `max difference ${worst} > ${tol}`);
};

before(async () => { await initBackend('cpu'); });

test('tiny maps to a derived config (vocab 257, no RoPE scaling); devnet to the public devnet model', () => {
	assert.equal(cfg.vocab_size, 257);
	assert.equal(cfg.rope_freq, null);
	assert.deepEqual(splits.map(x => x.kind), ['head', 'body', 'tail']);
	assert.equal(llamaModelFor(getConfig('devnet')).cfg.rope_freq?.factor, 32);
});

test('weights are the seeded stage init in parameters() order', async () => {
	const t = new LlamaTrainer({config: c, stages: [1], seed: 5});
	const stage = new LlamaStage(cfg, splits[1]!);
	assert.equal(t.numParams, countParams(stage.params));
	assert.deepEqual(await t.exportWeights(), await flat(stage.init(5)));
	t.dispose();
});

test('tail: gradients of the shifted CE and one NAdam step equal the stage and optimizer used directly', async () => {
	const t = new LlamaTrainer({config: c, stages: [2], seed: 7, clipNorm: 1e9});
	const {loss} = await t.forward('k', float32(acts, [b, s, c.bottleneckDim]), int32(ids, [b, s]));
	const r = await t.backward('k');
	assert.equal(r.loss, loss);
	assert.deepEqual(r.inputGrad!.shape, [b, s, c.bottleneckDim]);
	const stage = new LlamaStage(cfg, splits[2]!);
	const w = stage.init(7);
	const g = stage.lossBackward(w, tf.tensor3d(acts, [b, s, c.bottleneckDim]), ids);
	close(await t.exportGradients(), await flat(g.weightGrads.map((x, i) => x ?? tf.zeros(w[i]!.shape))), 1e-6);
	await t.step(1e-3);
	const expected = InnerOptimizer.forStage(3, 2, false, w.length).step(w, g.weightGrads, 1e-3);
	close(await t.exportWeights(), await flat(expected), 1e-6);
	// mu_product leads each parameter's state: beta1 (1 - 0.5 * 0.96) after one step; then exp_avg, exp_avg_sq.
	const state = await t.exportOptimizerState();
	assert.equal(state[0], Math.fround(stageBeta1(3, 2) * (1 - 0.5 * 0.96)));
	assert.equal(state.length, stage.params.reduce((n, p) => n + 1 + 2 * numel(p.shape), 0));
	t.dispose();
});

test('head + body + tail pipeline: the loss falls on a fixed batch', async () => {
	const st = [0, 1, 2].map(i => new LlamaTrainer({config: c, stages: [i], seed: 1}));
	const losses: number[] = [];
	for (let step = 0; step < 6; step++) {
		const h = await st[0]!.forward('x', int32(ids, [b, s]));
		const m = await st[1]!.forward('x', h.output!);
		losses.push((await st[2]!.forward('x', m.output!, int32(ids, [b, s]))).loss!);
		const g2 = await st[2]!.backward('x');
		const g1 = await st[1]!.backward('x', g2.inputGrad);
		const g0 = await st[0]!.backward('x', g1.inputGrad);
		assert.equal(g0.inputGrad, undefined, 'token ids have no gradient');
		for (const x of st) await x.step(3e-3);
	}
	assert.ok(losses.at(-1)! < losses[0]! - 0.05, `loss ${losses[0]} -> ${losses.at(-1)}`);
	st.forEach(x => x.dispose());
});

test('refuses wrong inputs with one-line reasons', async () => {
	const body = new LlamaTrainer({config: c, stages: [1]});
	await assert.rejects(body.forward('a', float32(new Float32Array(b * s * 3), [b, s, 3])), /stage input must be float32 \[batch, seq, 8\]/);
	await assert.rejects(body.forward('a', float32(Float32Array.from(acts, (v, i) => (i === 4 ? NaN : v)), [b, s, c.bottleneckDim])), /forward input contains NaN at element 4/);
	await assert.rejects(body.backward('nope', float32(acts, [b, s, c.bottleneckDim])), /no forward activation saved/);
	await assert.rejects(body.trainBatch(), /trainBatch needs the whole model in one worker/);
	const head = new LlamaTrainer({config: c, stages: [0]});
	await assert.rejects(head.forward('a', int32(Int32Array.from(ids, (v, i) => (i ? v : 999)), [b, s])), /token id 999 is outside the vocabulary \[0, 257\)/);
	const tail = new LlamaTrainer({config: c, stages: [2]});
	await assert.rejects(tail.forward('a', float32(acts, [b, s, c.bottleneckDim])), /needs the token ids/);
	assert.throws(() => new LlamaTrainer({config: c, stages: [0, 1]}), /exactly one stage/);
	[body, head, tail].forEach(x => x.dispose());
});

let client: TrainerClient;
after(async () => { await client?.close(); });

test('the worker runs the llama3 engine: bf16 vectors round-trip and keep their IOTA lengths', async () => {
	client = await TrainerClient.start({config: c, stages: [1], seed: 2, backend: 'cpu', engine: 'llama3'});
	const stage = new LlamaStage(cfg, splits[1]!);
	assert.equal(client.info!.numParams, countParams(stage.params));
	await client.forward('u', float32(acts, [b, s, c.bottleneckDim]));
	await client.backward('u', float32(acts, [b, s, c.bottleneckDim]));
	await client.step(1e-3);
	const w = await client.exportWeights('bf16');
	const o = await client.exportOptimizerState('bf16');
	assert.equal(w.length, 2 * client.info!.numParams);
	assert.equal(o.length, 2 * stage.params.reduce((n, p, i) => n + (stage.isUsed(i) ? 1 + 2 * numel(p.shape) : 0), 0));
	await client.restart();
	await client.importWeights(w.slice(), 'bf16');
	await client.importOptimizerState(o.slice(), 'bf16', 1);
	assert.deepEqual(await client.exportWeights('bf16'), w);
	assert.deepEqual(await client.exportOptimizerState('bf16'), o);
	await assert.rejects(client.importOptimizerState(o.subarray(2).slice(), 'bf16'), /optimizer state has \d+ elements, this stage needs/);
});
