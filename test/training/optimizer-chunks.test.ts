// The inner optimizer stepped in small row blocks equals the whole-tensor step bit for bit, and leaks no tensors.
import assert from 'node:assert/strict';
import {after, test} from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../source/training/backend.js';
import {setOptimizerChunkElements} from '../../source/training/llama3/chunked.js';
import {IOTA_INNER, InnerOptimizer} from '../../source/training/llama3/inner-optimizer.js';

const defaultChunk = setOptimizerChunkElements(1 << 22);
after(() => { setOptimizerChunkElements(defaultChunk); });

// With 10-element blocks: 37 rows of 5 go 2 at a time (the last alone), 3-D rows of 6 and 16-wide rows one
// at a time, [3, 4] as 2 + 1 rows; the 1-D one stays whole.
const shapes = [[37, 5], [7], [5, 3, 2], [4, 16], [3, 4]];
const steps = 3;

const makers: Array<[string, () => InnerOptimizer]> = [
	['NAdam', () => InnerOptimizer.forStage(3, 0, false, shapes.length)],
	['NAdam without weight decay', () => new InnerOptimizer('nadam', {...IOTA_INNER, beta1: 0.93, weightDecay: 0}, shapes.length)],
	['AdamW', () => InnerOptimizer.forStage(3, 1, true, shapes.length)],
];

/** Params and moments after `steps` steps at this block size; checks the tensor count stays flat after the first step. */
async function run(make: () => InnerOptimizer, chunk: number) {
	setOptimizerChunkElements(chunk);
	const opt = make();
	let w = shapes.map((s, i) => tf.randomNormal(s, 0, 0.02, 'float32', 1 + i));
	let count = 0;
	for (let k = 0; k < steps; k++) {
		// The [4, 16] one gets no gradient on the second step: it must come back as the same tensor.
		const g = shapes.map((s, i) => (k === 1 && i === 3 ? null : tf.randomNormal(s, 0, 1e-2 * (k + 1), 'float32', 100 * (k + 1) + i)));
		const next = opt.step(w, g, 1e-3 * (k + 1));
		w.forEach((p, i) => { if (next[i] !== p) p.dispose(); });
		tf.dispose(g.filter(x => x) as tf.Tensor[]);
		w = next;
		if (k === 0) count = tf.memory().numTensors;
		else assert.equal(tf.memory().numTensors, count, `tensor count grew at step ${k + 1} (block ${chunk})`);
	}
	const read = async (t: tf.Tensor) => Buffer.from((await t.data() as Float32Array).buffer);
	const out = {params: await Promise.all(w.map(read)), states: [] as unknown[]};
	for (let i = 0; i < shapes.length; i++) {
		const st = opt.state(i)!;
		assert.deepEqual(st.expAvg.shape, shapes[i]);
		out.states.push({...st, expAvg: await read(st.expAvg), expAvgSq: await read(st.expAvgSq)});
	}
	tf.dispose(w);
	opt.dispose();
	return out;
}

for (const backend of ['cpu', 'wasm'] as const) {
	for (const [name, make] of makers) {
		test(`${name} on ${backend}: 10-element row blocks give the whole-tensor step bit for bit`, async () => {
			await initBackend(backend);
			const before = tf.memory().numTensors;
			const whole = await run(make, 1 << 22);
			const blocks = await run(make, 10);
			assert.equal(tf.memory().numTensors, before, 'tensors left behind');
			assert.deepEqual(blocks.params, whole.params);
			assert.deepEqual(blocks.states, whole.states);
		});
	}
}

// wasm copies the rows itself (its Slice kernel would copy the whole tensor), so it runs no Slice kernel.
for (const backend of ['cpu', 'wasm'] as const) {
	test(`small blocks really split on ${backend}: a blocked step takes rows and concatenates, a whole one does not`, async () => {
		await initBackend(backend);
		const kernels = async (chunk: number) => {
			setOptimizerChunkElements(chunk);
			const opt = InnerOptimizer.forStage(2, 0, false, 1);
			const [p, g] = [tf.ones([37, 5]), tf.ones([37, 5])];
			const info = await tf.profile(() => opt.step([p], [g])[0]!);
			tf.dispose([p, g, info.result as tf.Tensor]);
			opt.dispose();
			return new Set(info.kernelNames);
		};
		const blocked = await kernels(10);
		assert.ok(blocked.has('Concat') && blocked.has('Slice') === (backend === 'cpu'), [...blocked].join(' '));
		const whole = await kernels(1 << 22);
		assert.ok(!whole.has('Slice') && !whole.has('Concat'), [...whole].join(' '));
	});
}
