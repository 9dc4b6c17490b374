// The webgpu device gets the adapter's maximum buffer limits (IOTA's 1B embedding and output head are 1 GiB in fp32,
// over WebGPU's default 128 MiB storage binding), and a tensor larger than the default binding works in a gather,
// the output head's matMul and the gather's gradient. On Mesa's lavapipe the adapter's own maximum is 128 MiB:
// the table is then exactly at the limit, and one row over it gives a recorded validation error, not silence.
import assert from 'node:assert/strict';
import {before, test} from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {initBackend, takeWebgpuErrors, webgpuFeatures, webgpuLimits, type BackendInfo} from '../../source/training/backend.js';

const DEFAULT_BINDING = 128 * 2 ** 20;
let info: BackendInfo | null = null;
let why = '';
before(async () => {
	try {
		info = await initBackend('webgpu');
	} catch (error) {
		why = (error as Error).message;
		if (process.env.IOTA_REQUIRE_WEBGPU === '1') throw error;
	}
});
const device = () => (tf.backend() as any).device;
const software = () => /, software\)$/.test(info!.detail);

/** A [rows, d] table whose row r holds r (exact in fp32), built on the device. */
const table = (rows: number, d: number) => tf.tidy(() => tf.add(tf.range(0, rows, 1, 'float32').reshape([rows, 1]), tf.zeros([1, d])));

test('the device has the adapter\'s maximum limits and the offered features, and the detail names them', async t => {
	if (!info) return t.skip(`no WebGPU adapter here (${why})`);
	const adapter = await (globalThis as any).navigator.gpu.requestAdapter({powerPreference: 'high-performance'});
	const dev = device();
	for (const k of webgpuLimits) assert.equal(dev.limits[k], adapter.limits[k], k);
	for (const f of webgpuFeatures) assert.equal(dev.features.has(f), adapter.features.has(f), f);
	assert.ok(dev.limits.maxStorageBufferBindingSize >= DEFAULT_BINDING);
	assert.match(info.detail, /, max binding \d+(\.\d)? [MGT]iB, buffer \d+(\.\d)? [MGT]iB/);
	t.diagnostic(`${info.detail}: maxStorageBufferBindingSize ${dev.limits.maxStorageBufferBindingSize}, maxBufferSize ${dev.limits.maxBufferSize}, features ${[...dev.features].join(' ')}`);
});

test('a table over the default 128 MiB binding (or at the adapter\'s limit) works in gather, the output-head matMul and the gather gradient', async t => {
	if (!info) return t.skip(`no WebGPU adapter here (${why})`);
	const d = 2048, limit = device().limits.maxStorageBufferBindingSize as number;
	const rows = Math.min(18_432, Math.floor(limit / (4 * d))); // 18,432 x 2,048 x 4 = 144 MiB
	t.diagnostic(`table ${rows} x ${d} fp32 = ${(rows * d * 4 / 2 ** 20).toFixed(0)} MiB, device binding limit ${(limit / 2 ** 20).toFixed(0)} MiB`);
	takeWebgpuErrors();
	const w = table(rows, d);
	const idx = tf.tensor1d([0, 1, rows - 1, rows >> 1, rows - 1], 'int32');
	try {
		const g = await tf.gather(w, idx).data();
		assert.deepEqual([g[0], g[d + 3], g[2 * d + d - 1], g[3 * d], g[5 * d - 1]], [0, 1, rows - 1, rows >> 1, rows - 1]);
		// Lavapipe needs ~15 s for each of these at 128 MiB on a busy 2-core machine; its limit is the default anyway.
		if (!software()) {
			const logits = await tf.tidy(() => tf.matMul(tf.fill([4, d], 1 / d), w, false, true)).data();
			for (const r of [0, 1, rows >> 1, rows - 1]) assert.ok(Math.abs(logits[3 * rows + r]! - r) < 1e-3 * (r + 1), `logit ${r}: ${logits[3 * rows + r]}`);
			const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.gather(x, idx)))(w);
			const gd = await grad.data();
			assert.deepEqual([gd[0], gd[d], gd[2 * d], gd[(rows - 1) * d + 7], gd[(rows >> 1) * d]], [1, 1, 0, 2, 1]);
			grad.dispose();
		}
		assert.deepEqual(takeWebgpuErrors(), []);
	} finally { tf.dispose([w, idx]); }
});

test('a tensor over the device\'s binding limit leaves a recorded WebGPU error', async t => {
	if (!info) return t.skip(`no WebGPU adapter here (${why})`);
	const limit = device().limits.maxStorageBufferBindingSize as number;
	if (limit > 256 * 2 ** 20) return t.skip(`binding limit ${(limit / 2 ** 30).toFixed(1)} GiB: too large a tensor for a test`);
	takeWebgpuErrors();
	const d = 2048, w = table(Math.floor(limit / (4 * d)) + 16, d);
	try {
		await tf.gather(w, tf.tensor1d([1], 'int32')).data();
		await new Promise(r => setTimeout(r, 50)); // the error event arrives through the event loop
		assert.match(takeWebgpuErrors().join('\n'), /larger than the maximum storage buffer binding size/);
	} finally { w.dispose(); }
});
