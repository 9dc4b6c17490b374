// One InnerOptimizer step on the 100M head stage (random grads): time and peak RSS. Usage: node --import tsx scripts/bench-optimizer.ts [backend] [nadam|adamw] [steps] [vocab] [chunk elements]
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../source/training/backend.js';
import {getPublicModel} from '../source/training/llama3/config.js';
import {LlamaStage} from '../source/training/llama3/stages.js';
import {InnerOptimizer} from '../source/training/llama3/inner-optimizer.js';
import {setOptimizerChunkElements} from '../source/training/llama3/chunked.js';
const backend = (process.argv[2] ?? 'wasm') as any;
const kind = process.argv[3] ?? 'nadam';
const steps = Number(process.argv[4] ?? 2);
const info = await initBackend(backend);
if (process.argv[6]) setOptimizerChunkElements(Number(process.argv[6])); // a huge block = the whole-tensor step
const {cfg: full, splits} = getPublicModel('100M');
const cfg = Number(process.argv[5]) ? {...full, vocab_size: Number(process.argv[5])} : full; // a smaller vocab fits the old code on wasm
const stage = new LlamaStage(cfg, splits[0]!);
let w = stage.init(1);
console.log(info.detail, 'params', stage.params.map(p => `${p.name}[${p.shape}]`).slice(0, 3).join(' '), '...', w.length, 'tensors', w.reduce((n, t) => n + t.size, 0), 'elements');
const grads = w.map((t, i) => stage.isUsed(i) ? tf.randomNormal(t.shape, 0, 1e-2, 'float32', i) : null);
const opt = InnerOptimizer.forStage(splits.length, 0, kind === 'adamw', w.length);
const mb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);
console.log('before step: peak RSS', mb(), 'MB, tensors', tf.memory().numTensors, 'bytes', (tf.memory().numBytes / 2 ** 20).toFixed(0), 'MiB');
for (let s = 0; s < steps; s++) {
	const t0 = performance.now();
	try {
		const next = opt.step(w, grads);
		await next.at(-1)!.data();
		for (let k = 0; k < w.length; k++) if (next[k] !== w[k]) w[k]!.dispose();
		w = next;
	} catch (e) {
		console.log(`step ${s} FAILED: ${(e as Error).message.split('\n')[0]} peak RSS ${mb()} MB`);
		process.exit(1);
	}
	console.log(`step ${s}: ${(performance.now() - t0).toFixed(0)} ms, peak RSS ${mb()} MB, tensors ${tf.memory().numTensors}`);
}
