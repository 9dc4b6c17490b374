// The fused WGSL kernels (source/training/webgpu/) against the cpu backend's stock ops: values and gradients.
// Tolerance for every check: max |webgpu - cpu| <= TOL * max |cpu| (fp32; the orders of summation differ).
// Shapes include widths that are not multiples of the 64-wide workgroup. Runs on any WebGPU adapter (lavapipe in
// CI); skips without one unless IOTA_REQUIRE_WEBGPU=1.
import assert from 'node:assert/strict';
import {before, test} from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../source/training/backend.js';
import {getPublicModel} from '../../source/training/llama3/config.js';
import {InnerOptimizer} from '../../source/training/llama3/inner-optimizer.js';
import {shiftedCrossEntropy} from '../../source/training/llama3/loss.js';
import {LlamaStage} from '../../source/training/llama3/stages.js';
import {StageState} from '../../source/training/stage-state.js';
import {countDispatches} from '../../source/training/webgpu/count.js';
import {setFusedAttention, setFusedKernels, setFusedMatMul} from '../../source/training/webgpu/program.js';
import {causalMask, rmsNorm, rope, silu} from '../../source/training/ops.js';
import {fusedAttention} from '../../source/training/webgpu/attention.js';
import {fusedHeadsPV, fusedMatMul} from '../../source/training/webgpu/matmul.js';
import {fusedSumSquares} from '../../source/training/webgpu/sumsq.js';
import {fusedAddColumns} from '../../source/training/webgpu/residual.js';
import {fusedRmsNorm} from '../../source/training/webgpu/rmsnorm.js';
import {fusedRopeHeads} from '../../source/training/webgpu/rope.js';
import {fusedCausalSoftmax} from '../../source/training/webgpu/softmax.js';
import {fusedSilu, fusedSwiglu} from '../../source/training/webgpu/swiglu.js';

const TOL = 1e-5;
const [B, S] = (process.env.IOTA_DISPATCH_SHAPE ?? '2,32').split(',').map(Number) as [number, number];
let why = '';

before(async () => {
	try {
		await initBackend('webgpu');
	} catch (error) {
		why = (error as Error).message;
		if (process.env.IOTA_REQUIRE_WEBGPU === '1') throw error;
	}
	await tf.setBackend('cpu');
});

/** Deterministic values in [-scale, scale). */
const values = (n: number, seed: number, scale = 1) => Float32Array.from({length: n}, (_, i) => (((i * 7919 + seed * 104729) % 1000) / 500 - 1) * scale);

/** Runs fn on a backend with fresh tensors made from plain arrays and returns every output as plain arrays. */
async function on(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
	await tf.setBackend(backend);
	const outs = tf.tidy(fn);
	const data = await Promise.all(outs.map(t => t.data() as Promise<Float32Array>));
	tf.dispose(outs);
	await tf.setBackend('cpu');
	return data;
}

function assertClose(got: Float32Array[], want: Float32Array[], what: string) {
	assert.equal(got.length, want.length);
	want.forEach((w, k) => {
		const g = got[k]!;
		assert.equal(g.length, w.length, `${what}[${k}] length`);
		let diff = 0, ref = 0;
		w.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - g[i]!)); ref = Math.max(ref, Math.abs(v)); });
		assert.ok(diff <= TOL * ref, `${what}[${k}]: max diff ${diff} vs max |ref| ${ref} (rel ${diff / ref})`);
	});
}

/** Value and gradients (w.r.t. every input, for a fixed output gradient) of f on cpu (stock) and webgpu (fused). */
async function check(what: string, shapes: number[][], stock: (...x: tf.Tensor[]) => tf.Tensor, fused: (...x: tf.Tensor[]) => tf.Tensor) {
	const inputs = shapes.map((s, k) => values(s.reduce((a, b) => a * b, 1), k + 1));
	const run = (f: (...x: tf.Tensor[]) => tf.Tensor) => () => {
		const xs = inputs.map((v, k) => tf.tensor(v, shapes[k]));
		const y = f(...xs);
		const dy = tf.tensor(values(y.size, 9), y.shape);
		const {value, grads} = tf.valueAndGrads((...a: tf.Tensor[]) => f(...a))(xs, dy);
		return [value, ...grads];
	};
	const want = await on('cpu', run(stock));
	const got = await on('webgpu', run(fused));
	assertClose(got, want, what);
}

const gpu = (t: {skip: (m: string) => void}) => { if (tf.findBackend('webgpu')) return true; t.skip(`no WebGPU adapter here (${why})`); return false; };

test('RMSNorm: forward, dx and dg, on widths 5, 100, 128, 300 and 40 (workgroup 64), 130 rows (dg chunks of 64)', async t => {
	if (!gpu(t)) return;
	for (const [rows, cols] of [[3, 5], [5, 100], [7, 128], [2, 300], [130, 40]] as const) {
		await check(`rmsnorm ${rows}x${cols}`, [[rows, cols], [cols]], (x, g) => rmsNorm(x as tf.Tensor2D, g!, 1e-5), (x, g) => fusedRmsNorm(x as tf.Tensor2D, g!, 1e-5));
	}
});

test('more workgroups than one dispatch dimension allows (65,535): TF.js spreads them over y and z, the kernels still see each row once', async t => {
	if (!gpu(t)) return;
	// 70,000 rows of a one-workgroup-per-row kernel, and 9.3M elements of an elementwise one (workgroup 128).
	await check('rmsnorm 70000x4', [[70_000, 4], [4]], (x, g) => rmsNorm(x as tf.Tensor2D, g!, 1e-5), (x, g) => fusedRmsNorm(x as tf.Tensor2D, g!, 1e-5));
	await check('silu 9.3M', [[72_700, 128]], x => tf.mul(x, tf.sigmoid(x)), x => fusedSilu(x));
});

test('SwiGLU silu(a) * b and plain silu: forward and gradients, 21 and 1500 elements (workgroup 128)', async t => {
	if (!gpu(t)) return;
	for (const shape of [[3, 7], [5, 300]]) {
		await check(`swiglu ${shape}`, [shape, shape], (a, b) => tf.mul(silu(a!), b!), (a, b) => fusedSwiglu(a!, b!));
		await check(`silu ${shape}`, [shape], a => silu(a!), a => fusedSilu(a!));
	}
});

test('causal attention softmax: forward and gradient, t = 5 and 70 (workgroup 64)', async t => {
	if (!gpu(t)) return;
	for (const [bh, tt] of [[2, 5], [3, 70]] as const) {
		const scale = 1 / Math.sqrt(8);
		await check(`softmax ${bh}x${tt}`, [[bh, tt, tt]], s => tf.softmax(tf.add(tf.mul(s!, scale), causalMask(tt))), s => fusedCausalSoftmax(s as tf.Tensor3D, scale));
	}
});

test('head split + RoPE: forward and gradient, [b*t, n*hd] -> [b, n, t, hd]', async t => {
	if (!gpu(t)) return;
	for (const [b, tt, n, hd] of [[2, 5, 3, 8], [1, 7, 2, 6]] as const) {
		const tables = () => [tf.tensor2d(values(tt * hd / 2, 5), [tt, hd / 2]), tf.tensor2d(values(tt * hd / 2, 6), [tt, hd / 2])] as const;
		await check(`rope ${[b, tt, n, hd]}`, [[b * tt, n * hd]], y => {
			const [cos, sin] = tables();
			return rope(tf.transpose(tf.reshape(y!, [b, tt, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D, cos, sin);
		}, y => fusedRopeHeads(y as tf.Tensor2D, b, tt, n, ...tables()));
	}
});

test('partial residual: y + r on the shared columns, r narrower (16 of 100) and wider (100 onto 16)', async t => {
	if (!gpu(t)) return;
	const stock = (y: tf.Tensor, r: tf.Tensor) => {
		const [n, w] = y.shape as [number, number];
		const rw = r.shape[1]!;
		if (rw < w) return tf.concat([tf.add(tf.slice(y, [0, 0], [n, rw]), r), tf.slice(y, [0, rw], [n, w - rw])], 1);
		return tf.add(y, tf.slice(r, [0, 0], [n, w]));
	};
	await check('residual narrow', [[5, 100], [5, 16]], (y, r) => stock(y!, r!), (y, r) => fusedAddColumns(y as tf.Tensor2D, r as tf.Tensor2D));
	await check('residual wide', [[5, 16], [5, 100]], (y, r) => stock(y!, r!), (y, r) => fusedAddColumns(y as tf.Tensor2D, r as tf.Tensor2D));
});

test('shifted cross-entropy over the vocabulary: loss and logits gradient, vocab 7 and 300 (workgroup 256), with pad masking', async t => {
	if (!gpu(t)) return;
	for (const [b, s, v, pad] of [[3, 4, 7, undefined], [2, 6, 300, 3]] as const) {
		const targets = Int32Array.from({length: b * s}, (_, i) => (i % 5 === 4 ? 3 : (i * 13 + 1) % v));
		const f = (z: tf.Tensor) => shiftedCrossEntropy(z as tf.Tensor3D, targets, {padTokenId: pad});
		await check(`xent ${[b, s, v]}`, [[b, s, v]], f, f);
	}
});

test('NAdam and AdamW steps (stage beta1, decay, gradient scale inside the kernel): parameters and moments over 3 steps', async t => {
	if (!gpu(t)) return;
	const shapes = [[7, 30], [130], [1]];
	for (const kind of ['nadam', 'adamw'] as const) {
		const run = (fused: boolean) => () => {
			const opt = new InnerOptimizer(kind, {lr: 2e-2, beta1: 0.93, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, momentumDecay: 1}, shapes.length + 1);
			let ps: tf.Tensor[] = [...shapes.map((sh, k) => tf.tensor(values(sh.reduce((a, b) => a * b, 1), k + 1), sh)), tf.ones([3])];
			for (let step = 0; step < 3; step++) {
				const gs = [...shapes.map((sh, k) => tf.tensor(values(sh.reduce((a, b) => a * b, 1), 10 * step + k + 2, 3), sh)), null];
				const scale = 0.25 + step;
				ps = opt.step(ps, fused ? gs : gs.map(g => g && tf.mul(g, scale)), 2e-2, fused ? scale : 1);
			}
			const states = shapes.map((_, i) => opt.state(i)!).flatMap(st => [st.expAvg.clone(), st.expAvgSq.clone()]);
			opt.dispose();
			return [...ps, ...states];
		};
		const want = await on('cpu', run(false));
		const got = await on('webgpu', run(true));
		assertClose(got, want, `${kind} step`);
	}
});

test('tiled matmul, all four transpose forms, 2-D, batched, GQA-shared and on heads in place, sides not multiples of the 64 tile: product and both gradients', async t => {
	if (!gpu(t)) return;
	for (const [batch, m, k, n] of [[0, 130, 17, 5], [2, 70, 33, 65], [3, 1, 200, 64]] as const) {
		for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
			const pre = batch ? [batch] : [];
			const shapes = [[...pre, ...(ta ? [k, m] : [m, k])], [...pre, ...(tb ? [n, k] : [k, n])]];
			await check(`matmul ${[batch, m, k, n, ta, tb]}`, shapes, (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, ta, tb), (a, b) => fusedMatMul(a!, b!, ta, tb));
		}
	}
	// GQA: B's batch g serves A's batches 2g and 2g+1, as repeatKv's repeat_interleave; B's gradient sums both.
	const repeat = (y: tf.Tensor) => tf.reshape(tf.tile(tf.reshape(y, [3, 1, y.size / 3]), [1, 2, 1]), [6, ...y.shape.slice(1)]);
	for (const tb of [false, true]) {
		await check(`gqa matmul ${tb}`, [[6, 70, 33], tb ? [3, 65, 33] : [3, 33, 65]], (a, b) => tf.matMul(a as tf.Tensor3D, repeat(b!) as tf.Tensor3D, false, tb), (a, b) => fusedMatMul(a!, b!, false, tb, 2));
	}
	// Attention's P V on the [b*t, n*hd] activations: heads split from v and merged into the output in place.
	const [b, h, kv, tt, hd] = [2, 4, 2, 70, 8];
	await check('heads P V', [[b * h, tt, tt], [b * tt, kv * hd]], (p, v) => {
		const heads = tf.reshape(tf.transpose(tf.reshape(v!, [b, tt, kv, hd]), [0, 2, 1, 3]), [b * kv, 1, tt * hd]);
		const o = tf.matMul(p as tf.Tensor3D, tf.reshape(tf.tile(heads, [1, h / kv, 1]), [b * h, tt, hd]) as tf.Tensor3D);
		return tf.reshape(tf.transpose(tf.reshape(o, [b, h, tt, hd]), [0, 2, 1, 3]), [b * tt, h * hd]);
	}, (p, v) => fusedHeadsPV(p as tf.Tensor3D, v as tf.Tensor2D, b, h, kv));
});

test('fused causal GQA attention: output and q, k, v gradients, t = 70 (chunks of 64), head sizes 8 and 72, 2 and 1 query heads per kv head', async t => {
	if (!gpu(t)) return;
	for (const [b, h, kv, tt, hd] of [[2, 4, 2, 70, 8], [1, 2, 2, 5, 72]] as const) {
		const scale = 1 / Math.sqrt(hd);
		const repeat = (y: tf.Tensor) => tf.reshape(tf.tile(tf.reshape(y, [b * kv, 1, tt * hd]), [1, h / kv, 1]), [b * h, tt, hd]);
		const stock = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => {
			const scores = tf.matMul(tf.reshape(q, [b * h, tt, hd]) as tf.Tensor3D, repeat(k) as tf.Tensor3D, false, true);
			const p = tf.softmax(tf.add(tf.mul(scores, scale), causalMask(tt)));
			const o = tf.matMul(p as tf.Tensor3D, repeat(tf.transpose(tf.reshape(v, [b, tt, kv, hd]), [0, 2, 1, 3])) as tf.Tensor3D);
			return tf.reshape(tf.transpose(tf.reshape(o, [b, h, tt, hd]), [0, 2, 1, 3]), [b * tt, h * hd]);
		};
		await check(`attention ${[b, h, kv, tt, hd]}`, [[b, h, tt, hd], [b, kv, tt, hd], [b * tt, kv * hd]], stock,
			(q, k, v) => fusedAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor2D, scale));
	}
});

test('sum of squares over 9 tensors (two groups of up to 7 inputs, chunks of 4096): the gradient norm', async t => {
	if (!gpu(t)) return;
	const sizes = [1, 7, 5000, 4096, 300, 9000, 2, 130, 64];
	const make = () => sizes.map((n, k) => tf.tensor1d(values(n, k + 1)));
	const want = await on('cpu', () => [tf.addN(make().map(x => tf.sum(tf.square(x))))]);
	const got = await on('webgpu', () => [fusedSumSquares(make())]);
	assertClose(got, want, 'sum of squares');
});

type Counted = ReturnType<typeof countDispatches<tf.Tensor[]>>;

/** A devnet stage's miner work on webgpu: forward, then backward (the tail: the loss and its backward). */
function stageStep(stage: LlamaStage, weights: tf.Tensor[], b: number, s: number): tf.Tensor[] {
	const {cfg} = stage;
	const ids = Int32Array.from({length: b * s}, (_, i) => (i * 37 + 5) % cfg.vocab_size);
	const input = stage.split.kind === 'head' ? tf.tensor2d(ids, [b, s], 'int32') : tf.tensor3d(values(b * s * cfg.bottleneck_dim, 3), [b, s, cfg.bottleneck_dim]);
	stage.forward(weights, input);
	const g = stage.split.kind === 'tail'
		? stage.lossBackward(weights, input, ids)
		: stage.backward(weights, input, tf.tensor3d(values(b * s * cfg.bottleneck_dim, 4, 1e-3), [b, s, cfg.bottleneck_dim]));
	return [g.output, ...(g.inputGrad ? [g.inputGrad] : []), ...g.weightGrads.filter((w): w is tf.Tensor => w !== null)];
}

test('dispatches of one devnet stage forward + backward (batch 2, seq 32; IOTA_DISPATCH_SHAPE=8,128 for the devnet batch), stock ops vs fused kernels, same results', async t => {
	if (!gpu(t)) return;
	const {cfg, splits} = getPublicModel('devnet');
	await tf.setBackend('webgpu');
	try {
		for (const split of splits) {
			const stage = new LlamaStage(cfg, split);
			const weights = stage.init(1);
			const runs = ([[false, false, false], [true, false, false], [true, true, false], [true, true, true]] as const).map(([on, mm, att]) => {
				setFusedKernels(on);
				setFusedMatMul(mm);
				setFusedAttention(att);
				return countDispatches(() => tf.tidy(() => stageStep(stage, weights, B, S)));
			});
			setFusedKernels(true);
			setFusedMatMul(true);
			setFusedAttention(true);
			const [stock, noMatMul, noAttention, fused] = runs as [Counted, Counted, Counted, Counted];
			const top = [...fused.byProgram].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, n]) => `${k} ${n}`).join(', ');
			t.diagnostic(`devnet ${split.kind} at ${B}x${S} [${split.start}, ${split.end}]: ${stock.total} dispatches stock, ${noMatMul.total} fused without the matmul, ${noAttention.total} without the fused attention, ${fused.total} fused (${top})`);
			assert.ok(fused.total < noAttention.total && noAttention.total < noMatMul.total && noMatMul.total < stock.total);
			const [c, d] = [await Promise.all(noAttention.result.map(x => x.data())), await Promise.all(stock.result.map(x => x.data()))];
			assertClose(c as Float32Array[], d as Float32Array[], `devnet ${split.kind} matmul-path attention vs stock`);
			tf.dispose([...noMatMul.result, ...noAttention.result]);
			const [a, b] = [await Promise.all(stock.result.map(x => x.data())), await Promise.all(fused.result.map(x => x.data()))];
			assertClose(b as Float32Array[], a as Float32Array[], `devnet ${split.kind} fused vs stock`);
			// The optimizer step a StageState runs (gradient norm, clip, NAdam), counted on its second step.
			const grads = weights.map((_, i) => (stage.isUsed(i) ? tf.onesLike(weights[i]!) : null));
			const steps: number[] = [];
			for (const on of [false, true]) {
				setFusedKernels(on);
				const state = new StageState({cfg, splits}, splits.indexOf(split), {seed: 1});
				let total = 0;
				for (let k = 0; k < 2; k++) {
					state.accumulate(grads.map(g => g && g.clone()));
					const norm = countDispatches(() => state.gradNormTensor());
					const value = (await norm.result.data())[0]!;
					norm.result.dispose();
					total = norm.total + countDispatches(() => state.applyStep(1e-3, value)).total;
				}
				steps.push(total);
				state.stage.dispose();
			}
			setFusedKernels(true);
			t.diagnostic(`devnet ${split.kind} optimizer step (norm, clip, NAdam; the second): ${steps[0]} dispatches stock, ${steps[1]} fused`);
			tf.dispose([...stock.result, ...fused.result, ...weights, ...grads.filter(g => g !== null)]);
			stage.dispose();
		}
	} finally {
		setFusedKernels(true);
		setFusedMatMul(true);
		setFusedAttention(true);
		await tf.setBackend('cpu');
	}
});
