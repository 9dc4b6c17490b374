// The wasm backend on several threads (XNNPACK's pthreadpool, source/training/wasm-threads.ts) computes what one thread
// does: a devnet body stage's outputs, input gradients and weight gradients, and its weights after optimizer steps.
// Two shapes: many rows (the weight is transposed for the product) and few (linear's weight-first product), the
// latter also against the plain JS cpu backend.
import assert from 'node:assert/strict';
import {availableParallelism} from 'node:os';
import {after, before, test} from 'node:test';
import {TrainerClient} from '../../source/training/client.js';
import {getConfig} from '../../source/training/config.js';
import {float32} from '../../source/training/tensor-data.js';
import {defaultThreads, MAX_THREADS} from '../../source/training/wasm-threads.js';

const c = getConfig('devnet');
const bd = c.bottleneckDim;
let two: TrainerClient, one: TrainerClient, cpu: TrainerClient;

before(async () => {
	const start = (backend: 'wasm' | 'cpu', threads: number) => TrainerClient.start({config: c, stages: [1], seed: 7, backend, threads, engine: 'llama3'});
	[two, one, cpu] = await Promise.all([start('wasm', 2), start('wasm', 1), start('cpu', 1)]);
});
after(async () => { await Promise.all([two, one, cpu].map(t => t.close())); });

const act = (b: number, t: number, seed: number) => Float32Array.from({length: b * t * bd}, (_, i) => Math.sin(i * 0.37 + seed));

/** Largest |a - b| over the largest |b|: 0 when equal. */
function relMax(a: Float32Array, b: Float32Array): number {
	assert.equal(a.length, b.length);
	let d = 0, m = 0;
	for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
	return d / (m || 1);
}

async function pass(t: TrainerClient, b: number, s: number, seed: number) {
	const f = await t.forward('k', float32(act(b, s, seed), [b, s, bd]));
	const g = await t.backward('k', float32(act(b, s, seed + 1), [b, s, bd]));
	return {output: new Float32Array(f.output!.data), inputGrad: new Float32Array(g.inputGrad!.data), grads: await t.exportGradients()};
}

test('IOTA_TUI_THREADS sets the thread count (1 = off); else every core, at most 8', () => {
	assert.equal(defaultThreads({IOTA_TUI_THREADS: '1'}), 1);
	assert.equal(defaultThreads({IOTA_TUI_THREADS: '3'}), 3);
	assert.equal(defaultThreads({IOTA_TUI_THREADS: '99'}), MAX_THREADS);
	const all = Math.min(availableParallelism(), MAX_THREADS);
	for (const v of [undefined, '', 'x', '0', '-2', '1.5']) assert.equal(defaultThreads({IOTA_TUI_THREADS: v}), all, String(v));
});

test('the backend detail names the thread count', () => {
	assert.equal(two.info!.backend.detail, 'wasm (SIMD, 2 threads)');
	assert.equal(one.info!.backend.detail, 'wasm (SIMD, 1 thread)');
});

// Tolerances: 2 threads vs 1 within 1e-5 of the largest magnitude (XNNPACK splits the output among threads, each
// element is still summed by one thread in the same order: equal in practice); wasm vs plain JS cpu within 1e-4.
for (const [b, s] of [[4, 64], [1, 8]] as const) {
	test(`a devnet body stage at B${b} T${s}: 2 threads = 1 thread (and = cpu); weights agree after 2 steps`, async () => {
		for (let step = 0; step < 2; step++) {
			const [x2, x1, xc] = [await pass(two, b, s, step), await pass(one, b, s, step), await pass(cpu, b, s, step)];
			for (const k of ['output', 'inputGrad', 'grads'] as const) {
				assert.ok(relMax(x2[k], x1[k]) <= 1e-5, `${k} 2 threads vs 1: ${relMax(x2[k], x1[k])}`);
				assert.ok(relMax(x1[k], xc[k]) <= 1e-4, `${k} wasm vs cpu: ${relMax(x1[k], xc[k])}`);
			}
			for (const t of [two, one, cpu]) await t.step(1e-3);
		}
		const [w2, w1, wc] = await Promise.all([two, one, cpu].map(t => t.exportWeights('f32')));
		const f = (u: Uint8Array) => new Float32Array(u.buffer, u.byteOffset, u.byteLength / 4);
		assert.ok(relMax(f(w2!), f(w1!)) <= 1e-6, `weights 2 threads vs 1: ${relMax(f(w2!), f(w1!))}`);
		assert.ok(relMax(f(w1!), f(wc!)) <= 1e-5, `weights wasm vs cpu: ${relMax(f(w1!), f(wc!))}`);
	});
}
