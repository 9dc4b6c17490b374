// TF.js inner optimizer steps against PyTorch's on the same parameters and gradients.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {InnerOptimizer} from '../../../source/training/llama3/inner-optimizer.js';
import {maxRelErr, readF32, runRef, writeF32} from './bridge.js';

export type OptimParity = {deltaErr: number; reference: string; legacyCheck?: number};

/** Runs `steps` steps on a few small tensors; compares parameter changes (p_after - p_before), max rel. error. */
export function optimizerParity(python: string, opt: InnerOptimizer, steps: number, seed: number): OptimParity {
	const dir = mkdtempSync(join(tmpdir(), 'iota-optim-'));
	tf.engine().startScope();
	try {
		const shapes = [[6, 4], [5], [3, 2, 2]];
		const start = shapes.map((s, i) => tf.randomNormal(s, 0, 0.02, 'float32', seed + i));
		const grads = Array.from({length: steps}, (_, k) => shapes.map((s, i) => tf.randomNormal(s, 0, 1e-2 * (k + 1), 'float32', seed + 100 * (k + 1) + i)));
		const params = shapes.map((shape, i) => ({file: `p${i}.f32`, shape}));
		start.forEach((p, i) => writeF32(join(dir, params[i]!.file), p.dataSync() as Float32Array));
		const gradFiles = grads.map((step, k) => step.map((g, i) => {
			writeF32(join(dir, `g${k}_${i}.f32`), g.dataSync() as Float32Array);
			return `g${k}_${i}.f32`;
		}));
		const o = opt.options;
		const options = {kind: opt.kind, lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weight_decay: o.weightDecay, momentum_decay: o.momentumDecay};
		writeFileSync(join(dir, 'manifest.json'), JSON.stringify({options, params, grad_files: gradFiles}));
		let current = start;
		for (const g of grads) current = opt.step(current, g);
		runRef(python, ['optim', dir]);
		const result = JSON.parse(readFileSync(join(dir, 'result.torch.json'), 'utf8')) as {reference: string; legacy_check_max_rel?: number};
		let deltaErr = 0;
		current.forEach((p, i) => {
			const before = start[i]!.dataSync();
			const theirs = readF32(join(dir, `${params[i]!.file}.torch`)).map((x, j) => x - before[j]!);
			deltaErr = Math.max(deltaErr, maxRelErr(p.dataSync().map((x, j) => x - before[j]!), theirs));
		});
		return {deltaErr, reference: result.reference, legacyCheck: result.legacy_check_max_rel};
	} finally {
		opt.dispose();
		tf.engine().endScope();
		rmSync(dir, {recursive: true, force: true});
	}
}
