// Correctness check for a GPU backend: the same seeded model trained a few steps on cpu and on the given
// backend must give the same losses (fp32, within 1e-4 relative). Usage: node --import tsx scripts/bench-gpu-check.ts webgpu
import {TrainerClient} from '../source/training/client.js';
import {configs} from '../source/training/config.js';
import {int32} from '../source/training/tensor-data.js';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu';
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
