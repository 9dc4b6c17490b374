// (d) The worker: typed round trips with transferred buffers, equality with in-thread training, crash and restart.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {initBackend} from '../../source/training/backend.js';
import {fromBf16, bytesToBf16} from '../../source/training/bf16.js';
import {TrainerClient} from '../../source/training/client.js';
import {getConfig} from '../../source/training/config.js';
import {LlamaModelTrainer} from '../../source/training/llama-model-trainer.js';
import {float32, int32} from '../../source/training/tensor-data.js';

const c = getConfig('tiny');
const shape = [c.batchSize, c.seqLen];
const ids = Int32Array.from({length: c.batchSize * c.seqLen}, (_, i) => (i * 37 + 5) % c.vocabSize);
let client: TrainerClient;

before(async () => {
	await initBackend('cpu');
	client = await TrainerClient.start({config: c, stages: [0, 1, 2], seed: 3, backend: 'wasm', engine: 'llama3'});
});
after(async () => { await client.close(); });

test('the whole model trained in the worker (wasm) matches training in this thread (cpu)', async () => {
	assert.equal(client.info!.backend.name, 'wasm');
	const local = new LlamaModelTrainer({config: c, stages: [0, 1, 2], seed: 3});
	assert.equal(client.info!.numParams, local.numParams);
	assert.deepEqual(client.info!.clipNorms, local.clipNorms);
	const lossLocal = await local.trainBatch(int32(ids, shape));
	const sent = int32(ids, shape);
	const {loss} = await client.trainBatch(sent);
	assert.equal(sent.data.byteLength, 0, 'the ids buffer was transferred, not copied');
	assert.ok(Math.abs(loss - lossLocal) < 1e-5 * lossLocal, `${loss} vs ${lossLocal}`);
	const [ga, gb] = [await client.exportGradients(), await local.exportGradients()];
	let d = 0, n = 0;
	ga.forEach((x, i) => { d += (x - gb[i]!) ** 2; n += x * x; });
	assert.ok(Math.sqrt(d / n) < 1e-4, `gradient relative error ${Math.sqrt(d / n)}`);
	const r = await client.step(1e-3);
	assert.equal(r.step, 1);
	assert.equal(r.stages!.length, 3);
	const s = await client.stats();
	assert.equal(s.step, 1);
	assert.equal(s.numParams, local.numParams);
	const held = await client.evalLoss(int32(ids, shape));
	assert.ok(held.loss < loss, `one step lowers the loss on its own batch: ${loss} -> ${held.loss}`);
	await assert.rejects(client.forward('k', int32(ids, shape)), /forward takes one stage/);
	local.dispose();
});

test('bf16 weights and optimizer state of the whole model export and import round-trip through the worker', async () => {
	const w = await client.exportWeights('bf16');
	assert.equal(w.length, 2 * client.info!.numParams);
	const st = await client.exportOptimizerState('bf16');
	const local = new LlamaModelTrainer({config: c, stages: [0, 1, 2]});
	assert.equal(st.length, 2 * (await local.exportOptimizerState()).length, 'the three stages\' IOTA optimizer vectors');
	local.dispose();
	const other = await TrainerClient.start({config: c, stages: [0, 1, 2], seed: 99, backend: 'cpu'});
	try {
		assert.notDeepEqual(await other.exportWeights('bf16'), w);
		await other.importWeights(w.slice());
		assert.deepEqual(await other.exportWeights('bf16'), w);
		const f = new Float32Array((await other.exportWeights('f32')).buffer);
		assert.deepEqual(f, fromBf16(bytesToBf16(w)));
		await other.importOptimizerState(st.slice(), 'bf16', 1);
		assert.deepEqual(await other.exportOptimizerState('bf16'), st);
		assert.equal((await other.stats()).step, 1);
		// Both continue alike from the imported state (bf16 rounding apart): same loss on the next batch.
		const [a, b] = [await client.evalLoss(int32(ids, shape)), await other.evalLoss(int32(ids, shape))];
		assert.ok(Math.abs(a.loss - b.loss) < 1e-2, `${a.loss} vs ${b.loss}`);
		await assert.rejects(other.importWeights(w.subarray(0, 10)), /weights have 5 elements, this model needs/);
		await assert.rejects(other.importOptimizerState(st.subarray(0, 10)), /optimizer state has 5 elements, this model needs/);
	} finally { await other.close(); }
});

test('one stage forward/backward over messages: shapes, gradients and errors', async () => {
	const body = await TrainerClient.start({config: c, stages: [1], seed: 3, backend: 'cpu', engine: 'llama3'});
	try {
		const x = Float32Array.from({length: 2 * 16 * c.bottleneckDim}, (_, i) => Math.sin(i));
		const out = await body.forward('u1', float32(x, [2, 16, c.bottleneckDim]));
		assert.deepEqual(out.output!.shape, [2, 16, c.bottleneckDim]);
		const back = await body.backward('u1', float32(new Float32Array(x.length).fill(0.1), [2, 16, c.bottleneckDim]));
		assert.deepEqual(back.inputGrad!.shape, [2, 16, c.bottleneckDim]);
		assert.ok(new Float32Array(back.inputGrad!.data).some(v => v !== 0));
		assert.equal((await body.stats()).savedActivations, 0);
		await assert.rejects(body.backward('u1', float32(x, [2, 16, c.bottleneckDim])), /no forward activation saved under "u1"/);
		await assert.rejects(body.step(-1), /learning rate must be a finite number >= 0/);
		await assert.rejects(body.trainBatch(int32(ids, shape)), /trainBatch needs the whole model/);
	} finally { await body.close(); }
});

test('a bad init is the worker\'s one-line error', async () => {
	await assert.rejects(TrainerClient.start({config: c, stages: [0, 1], backend: 'cpu'}), /takes every stage in order, \[0,1,2\], got \[0,1\]/);
	await assert.rejects(TrainerClient.start({config: c, stages: [3], backend: 'cpu'}), /stage 3 out of range 0\.\.2/);
});

test('a crash is reported as an event with its error, pending calls fail, and restart brings a fresh worker', async () => {
	const crashes: Error[] = [];
	client.onCrash(e => crashes.push(e));
	await assert.rejects(client.crashForTest(), /worker crash requested by test/);
	for (let i = 0; i < 50 && crashes.length === 0; i++) await new Promise(r => setTimeout(r, 20));
	assert.equal(crashes.length, 1);
	assert.match(crashes[0]!.message, /worker crash requested by test/);
	assert.equal(client.alive, false);
	await assert.rejects(client.stats(), /training worker is not running/);
	await client.restart();
	assert.equal(client.alive, true);
	assert.equal((await client.stats()).step, 0);
});
