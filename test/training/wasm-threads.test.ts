// Every CPU core, computing what one thread does. Two modes: with a batch of 2 or more the training worker splits each
// micro-batch's rows over helper workers (row-split.ts); with `split: false` (or a batch of 1) wasm's XNNPACK pool
// gets the threads (wasm-threads.ts). Both against one thread: a devnet body stage's outputs, input gradients and
// weight gradients, the tail's loss and gradients, the whole model's loss and gradients, and weights after 2 steps.
import assert from 'node:assert/strict';
import {availableParallelism} from 'node:os';
import {after, before, test} from 'node:test';
import {TrainerClient} from '../../source/training/client.js';
import {getConfig} from '../../source/training/config.js';
import type {InitOptions} from '../../source/training/protocol.js';
import {splitCounts} from '../../source/training/row-split.js';
import {float32, int32} from '../../source/training/tensor-data.js';
import {defaultThreads, MAX_THREADS} from '../../source/training/wasm-threads.js';

const c = getConfig('devnet');
const bd = c.bottleneckDim;
const open: TrainerClient[] = [];
const start = async (o: Partial<InitOptions> & {stages: number[]}) => {
	const t = await TrainerClient.start({config: c, seed: 7, backend: 'wasm', engine: 'llama3', ...o});
	open.push(t);
	return t;
};
after(async () => { await Promise.all(open.map(t => t.close())); });

const act = (b: number, t: number, seed: number) => float32(Float32Array.from({length: b * t * bd}, (_, i) => Math.sin(i * 0.37 + seed)), [b, t, bd]);
const ids = (b: number, t: number, seed: number) => int32(Int32Array.from({length: b * t}, (_, i) => (i * 37 + seed * 11) % c.vocabSize), [b, t]);
const f32 = (u: Uint8Array) => new Float32Array(u.buffer, u.byteOffset, u.byteLength / 4);

/** Largest |a - b| over the largest |b|: 0 when equal. */
function relMax(a: Float32Array, b: Float32Array): number {
	assert.equal(a.length, b.length);
	let d = 0, m = 0;
	for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
	return d / (m || 1);
}
const close = (what: string, a: Float32Array, b: Float32Array, tol: number) => assert.ok(relMax(a, b) <= tol, `${what}: ${relMax(a, b)} > ${tol}`);

test('IOTA_TUI_THREADS sets the thread count (1 = off); else every core, at most 8', () => {
	assert.equal(defaultThreads({IOTA_TUI_THREADS: '1'}), 1);
	assert.equal(defaultThreads({IOTA_TUI_THREADS: '3'}), 3);
	assert.equal(defaultThreads({IOTA_TUI_THREADS: '99'}), MAX_THREADS);
	const all = Math.min(availableParallelism(), MAX_THREADS);
	for (const v of [undefined, '', 'x', '0', '-2', '1.5']) assert.equal(defaultThreads({IOTA_TUI_THREADS: v}), all, String(v));
	assert.deepEqual(splitCounts(8, 2), [4, 4]);
	assert.deepEqual(splitCounts(5, 2), [3, 2]);
	assert.deepEqual(splitCounts(1, 2), [1]);
	assert.deepEqual(splitCounts(7, 3), [3, 2, 2]);
});

// Tolerances, relative to the largest magnitude. XNNPACK's pool: 1e-5 (each output element is still summed by one
// thread in one order: equal in practice). Row split: 1e-5 for outputs and input gradients (rows are independent),
// 1e-4 for weight gradients and the loss (the parts' sums are added in another order); weights after 2 NAdam steps at
// lr 1e-3: 1e-4 (NAdam divides by the gradient's own scale, so a tiny gradient's rounding moves its update).
for (const mode of ['rows split', 'XNNPACK pool'] as const) {
	const split = mode === 'rows split';
	test(`${mode}: a devnet body stage and the tail on 2 threads = 1 thread, weights too after 2 steps`, async () => {
		for (const [stage, b, s] of [[1, 4, 64], [1, 3, 8], [2, 4, 32]] as const) {
			const [two, one] = await Promise.all([start({stages: [stage], threads: 2, split}), start({stages: [stage], threads: 1})]);
			assert.equal(two.info!.backend.detail, split ? 'wasm (SIMD, 2 threads, rows split)' : 'wasm (SIMD, 2 threads)');
			assert.equal(one.info!.backend.detail, 'wasm (SIMD, 1 thread)');
			const tail = stage === 2;
			for (let step = 0; step < 2; step++) {
				const r = await Promise.all([two, one].map(async t => {
					const f = await t.forward('k', act(b, s, step), tail ? ids(b, s, step) : undefined);
					const g = await t.backward('k', tail ? undefined : act(b, s, step + 1));
					return {f, g, grads: await t.exportGradients()};
				}));
				const [x2, x1] = r;
				const what = `${mode} stage ${stage} B${b} T${s} step ${step}`;
				if (tail) {
					assert.ok(Math.abs(x2!.f.loss! - x1!.f.loss!) <= 1e-4 * x1!.f.loss!, `${what} loss ${x2!.f.loss} vs ${x1!.f.loss}`);
					assert.ok(Math.abs(x2!.g.loss! - x1!.g.loss!) <= 1e-4 * x1!.g.loss!, `${what} backward loss`);
				} else close(`${what} output`, new Float32Array(x2!.f.output!.data), new Float32Array(x1!.f.output!.data), 1e-5);
				close(`${what} input grad`, new Float32Array(x2!.g.inputGrad!.data), new Float32Array(x1!.g.inputGrad!.data), 1e-5);
				close(`${what} weight grads`, x2!.grads, x1!.grads, 1e-4);
				const [s2, s1] = await Promise.all([two.step(1e-3), one.step(1e-3)]);
				assert.ok(Math.abs(s2.gradNorm - s1.gradNorm) <= 1e-4 * s1.gradNorm, `${what} grad norm ${s2.gradNorm} vs ${s1.gradNorm}`);
			}
			const [w2, w1] = await Promise.all([two.exportWeights('f32'), one.exportWeights('f32')]);
			close(`${mode} stage ${stage} weights after 2 steps`, f32(w2), f32(w1), 1e-4);
			if (split) {
				// Imported weights reach the helpers: the next forward agrees again.
				await Promise.all([two.importWeights(w1.slice(), 'f32'), one.importWeights(w1.slice(), 'f32')]);
				const [a, bb] = await Promise.all([two, one].map(t => t.forward('k', act(b, s, 9), tail ? ids(b, s, 9) : undefined)));
				if (tail) assert.ok(Math.abs(a!.loss! - bb!.loss!) <= 1e-4 * bb!.loss!);
				else close('after import', new Float32Array(a!.output!.data), new Float32Array(bb!.output!.data), 1e-5);
			}
		}
	});
}

test('rows split: the whole model (train) on 2 threads = 1 thread: loss, gradients, weights after 2 steps', async () => {
	const all = [0, 1, 2];
	const [two, one] = await Promise.all([start({stages: all, threads: 2}), start({stages: all, threads: 1})]);
	assert.equal(two.info!.backend.detail, 'wasm (SIMD, 2 threads, rows split)');
	for (let step = 0; step < 2; step++) {
		const [l2, l1] = await Promise.all([two.trainBatch(ids(5, 32, step)), one.trainBatch(ids(5, 32, step))]);
		assert.ok(Math.abs(l2.loss - l1.loss) <= 1e-4 * l1.loss, `loss ${l2.loss} vs ${l1.loss}`);
		const [e2, e1] = await Promise.all([two.evalLoss(ids(4, 32, 5)), one.evalLoss(ids(4, 32, 5))]);
		assert.ok(Math.abs(e2.loss - e1.loss) <= 1e-4 * e1.loss, `eval loss ${e2.loss} vs ${e1.loss}`);
		close(`whole model weight grads step ${step}`, await two.exportGradients(), await one.exportGradients(), 1e-4);
		await Promise.all([two.step(1e-3), one.step(1e-3)]);
	}
	const [w2, w1] = await Promise.all([two.exportWeights('f32'), one.exportWeights('f32')]);
	close('whole model weights after 2 steps', f32(w2), f32(w1), 1e-4);
});
