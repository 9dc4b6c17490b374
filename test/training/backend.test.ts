// (e) Backend choice: a forced backend loads or fails with a clear error; auto falls back in the documented order.
import assert from 'node:assert/strict';
import {createRequire} from 'node:module';
import {test} from 'node:test';
import {backendNames, parseBackend} from '../../source/training/backend.js';
import {TrainerClient} from '../../source/training/client.js';
import {getConfig} from '../../source/training/config.js';
import {UserError} from '../../source/errors.js';

const c = getConfig('tiny');
const start = (backend: any) => TrainerClient.start({config: c, stages: [2], backend});
const installed = (pkg: string) => { try { createRequire(import.meta.url).resolve(pkg); return true; } catch { return false; } };

test('forced cpu and wasm load exactly that backend', async () => {
	for (const name of ['cpu', 'wasm'] as const) {
		const cl = await start(name);
		try {
			assert.equal(cl.info!.backend.name, name);
			assert.equal(cl.info!.backend.tfBackend, name);
			assert.deepEqual(cl.info!.backend.tried, []);
		} finally { await cl.close(); }
	}
});

test('a forced backend that cannot load is an error, not a fallback', async () => {
	if (installed('@tensorflow/tfjs-node-gpu')) return; // loads on a CUDA box; nothing to check here
	await assert.rejects(start('cuda'), (e: Error) => e instanceof UserError && /^backend "cuda" cannot load: /.test(e.message) && !e.message.includes('\n'));
});

test('auto takes the first backend that loads, in the order cuda, webgpu, node, wasm, cpu', async () => {
	const cl = await start('auto');
	try {
		const {name, tried} = cl.info!.backend;
		const skipped = tried.map(t => t.split(':')[0]);
		assert.deepEqual(skipped, backendNames.slice(0, backendNames.indexOf(name)));
		if (!installed('@tensorflow/tfjs-node-gpu')) assert.ok(skipped.includes('cuda'));
		if (!installed('@tensorflow/tfjs-node') && name !== 'cuda' && name !== 'webgpu') assert.equal(name, 'wasm');
	} finally { await cl.close(); }
});

test('unknown backend names are rejected', () => {
	assert.equal(parseBackend('wasm'), 'wasm');
	assert.throws(() => parseBackend('gpu'), /unknown backend "gpu" \(choose auto, cuda, webgpu, node, wasm, cpu\)/);
});
