// WebGPU through Dawn: the whole Llama-3 model (what `train` runs) trains on it exactly like on the cpu
// backend, and auto never picks a software (CPU-emulated) WebGPU adapter over wasm.
// Runs wherever Dawn finds an adapter: a GPU, or Mesa's lavapipe (Debian bookworm-backports'
// mesa-vulkan-drivers, which .ci/run installs and then sets IOTA_REQUIRE_WEBGPU=1).
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {TrainerClient} from '../../source/training/client.js';
import {getConfig} from '../../source/training/config.js';
import {int32} from '../../source/training/tensor-data.js';

const c = getConfig('tiny');
const shape = [c.batchSize, c.seqLen];
const batch = (k: number) => Int32Array.from({length: c.batchSize * c.seqLen}, (_, i) => (i * 37 + k * 11 + 5) % c.vocabSize);
let gpu: TrainerClient | null = null;
let why = '';

before(async () => {
	try {
		gpu = await TrainerClient.start({config: c, stages: [0, 1, 2], seed: 5, backend: 'webgpu', clipNorm: 0.05});
	} catch (error) {
		why = (error as Error).message;
		if (process.env.IOTA_REQUIRE_WEBGPU === '1') throw error;
	}
});
after(async () => { await gpu?.close(); });

const relErr = (a: Float32Array, b: Float32Array) => {
	let d = 0, n = 0;
	a.forEach((x, i) => { d += (x - b[i]!) ** 2; n += b[i]! ** 2; });
	return Math.sqrt(d / n);
};

test('the whole model on WebGPU equals cpu: losses, weights and NAdam state over 3 clipped steps of 2 micro-batches', async t => {
	if (!gpu) return t.skip(`no WebGPU adapter here (${why})`);
	const cpu = await TrainerClient.start({config: c, stages: [0, 1, 2], seed: 5, backend: 'cpu', clipNorm: 0.05});
	try {
		assert.equal(gpu!.info!.backend.name, 'webgpu');
		for (let step = 0; step < 3; step++) {
			for (let micro = 0; micro < 2; micro++) {
				const [a, b] = [await gpu!.trainBatch(int32(batch(step * 2 + micro), shape)), await cpu.trainBatch(int32(batch(step * 2 + micro), shape))];
				assert.ok(Math.abs(a.loss - b.loss) < 1e-4 * b.loss, `step ${step}: loss ${a.loss} vs ${b.loss}`);
			}
			const [ra, rb] = [await gpu!.step(3e-3), await cpu.step(3e-3)];
			assert.ok(rb.clipScale < 1, 'the clip is active');
			assert.ok(Math.abs(ra.clipScale - rb.clipScale) < 1e-4 * rb.clipScale);
		}
		const w = relErr(new Float32Array((await gpu!.exportWeights('f32')).buffer), new Float32Array((await cpu.exportWeights('f32')).buffer));
		const s = relErr(new Float32Array((await gpu!.exportOptimizerState('f32')).buffer), new Float32Array((await cpu.exportOptimizerState('f32')).buffer));
		assert.ok(w < 1e-5, `weights relative error ${w}`);
		assert.ok(s < 1e-4, `optimizer state relative error ${s}`);
	} finally { await cpu.close(); }
});

test('auto does not choose a software WebGPU adapter', async t => {
	if (!gpu) return t.skip(`no WebGPU adapter here (${why})`);
	if (!/, software\)$/.test(gpu.info!.backend.detail)) return t.skip('a hardware adapter: auto takes it');
	const auto = await TrainerClient.start({config: c, stages: [2], backend: 'auto'});
	try {
		assert.notEqual(auto.info!.backend.name, 'webgpu');
		assert.match(auto.info!.backend.tried.join('; '), /webgpu: only a software WebGPU adapter/);
	} finally { await auto.close(); }
});
