// Correctness check for a GPU backend: the same seeded model trained a few steps on cpu and on the given
// backend must give the same losses (fp32, within 1e-4 relative). Usage: node --import tsx scripts/bench-gpu-check.ts webgpu
// `probe` instead prints one JSON object for a GPU run's log: the adapter, its features and limits, what the training
// device got (backend.ts asks for the adapter's maxima), and whether WGSL's f16 and subgroups compile on it.
import {TrainerClient} from '../source/training/client.js';
import {configs} from '../source/training/config.js';
import {int32} from '../source/training/tensor-data.js';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu';
if (backend as string === 'probe') {
	await probe();
	process.exit(0);
}
const c = {...configs.devnet!, batchSize: 2, seqLen: 64};
const ids = Int32Array.from({length: c.batchSize * c.seqLen}, (_, i) => (i * 131 + 7) % 256);
const losses: Record<string, number[]> = {};
for (const b of ['cpu', backend] as const) {
	const cl = await TrainerClient.start({config: c, stages: [0, 1, 2], seed: 7, backend: b});
	losses[b] = [];
	for (let s = 0; s < 4; s++) {
		losses[b]!.push((await cl.trainBatch(int32(ids, [c.batchSize, c.seqLen]))).loss);
		await cl.step(3e-3);
	}
	console.log(`${b} (${cl.info!.backend.detail}): ${losses[b]!.map(x => x.toFixed(7)).join(' ')}`);
	await cl.close();
}
const rel = Math.max(...losses.cpu!.map((x, i) => Math.abs(x - losses[backend]![i]!) / Math.abs(x)));
console.log(`max relative loss difference ${backend} vs cpu: ${rel.toExponential(2)} ${rel < 1e-4 ? 'OK' : 'MISMATCH'}`);

async function probe() {
	const tf = await import('@tensorflow/tfjs');
	const {initBackend, takeWebgpuErrors} = await import('../source/training/backend.js');
	const out: Record<string, unknown> = {};
	const plain = (o: any) => { const r: Record<string, unknown> = {}; for (const k in o) if (typeof o[k] !== 'function') r[k] = o[k]; return r; };
	try {
		out.backend = (await initBackend('webgpu')).detail;
	} catch (e) {
		out.error = (e as Error).message;
		console.log(JSON.stringify(out, null, 1));
		return;
	}
	const gpu = (globalThis as any).navigator.gpu;
	const adapters: Record<string, unknown> = {};
	for (const p of ['high-performance', 'low-power'] as const) {
		const a = await gpu.requestAdapter({powerPreference: p});
		if (a) adapters[p] = {info: plain(a.info), features: [...a.features].sort(), limits: plain(a.limits)};
	}
	out.adapters = adapters;
	const dev = (tf.backend() as any).device;
	out.device = {features: [...dev.features].sort(), limits: plain(dev.limits)};
	// Does WGSL accept the 16-bit and subgroup extensions on this device (shader-f16 / subgroups requested when offered)?
	const compiles = async (code: string) => {
		dev.pushErrorScope('validation');
		const m = dev.createShaderModule({code});
		const info = await m.getCompilationInfo();
		const err = await dev.popErrorScope();
		const msgs = [...info.messages].filter((x: any) => x.type === 'error').map((x: any) => x.message);
		return err || msgs.length ? `no: ${(err?.message ?? msgs[0] ?? '').split('\n')[0]}` : 'yes';
	};
	out.wgsl = {
		f16: dev.features.has('shader-f16') ? await compiles('enable f16;\n@compute @workgroup_size(1) fn main() { var x: f16 = 1.0h; _ = x; }') : 'no (shader-f16 not offered)',
		subgroups: dev.features.has('subgroups') ? await compiles('enable subgroups;\n@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(32) fn main(@builtin(subgroup_invocation_id) i: u32) { o[i] = subgroupAdd(1.0); }') : 'no (subgroups not offered)',
		timestampQuery: dev.features.has('timestamp-query'),
		bf16: 'no (WGSL has no bf16 type)',
	};
	out.tfjs = {version: tf.version.tfjs, flags: tf.env().getFlags()};
	out.errors = takeWebgpuErrors();
	console.log(JSON.stringify(out, null, 1));
}
