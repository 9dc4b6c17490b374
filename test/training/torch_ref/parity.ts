// One TF.js-vs-PyTorch comparison of a stage: same weights and inputs, then outputs, input and weight gradients.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type {LlamaConfig, StageSplit} from '../../../source/training/llama3/config.js';
import {LlamaStage} from '../../../source/training/llama3/stages.js';
import {maxRelErr, readF32, runRef, writeF32, writeI32} from './bridge.js';

export type ParityOptions = {batch: number; seq: number; seed: number; padTokenId?: number};
export type ParityRow = {output: number; inputGrad: number | null; weightGrad: number; loss: number | null; noneMatch: boolean; params: number};

/** Deterministic ids (LCG) so failures reproduce. */
export function randomIds(n: number, vocab: number, seed: number): Int32Array {
	let s = seed >>> 0;
	return Int32Array.from({length: n}, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % vocab);
}

/** Seeded weights with the RMSNorm gains moved off 1, so swapped or skipped norms show up. */
function parityWeights(stage: LlamaStage, seed: number): tf.Tensor[] {
	return stage.init(seed).map((w, i) => {
		if (stage.params[i]!.init !== 'ones') return w;
		const moved = tf.add(w, tf.randomNormal(w.shape, 0, 0.2, 'float32', seed + i));
		w.dispose();
		return moved;
	});
}

function writeInputs(dir: string, stage: LlamaStage, o: ParityOptions): {input: tf.Tensor; ids: Int32Array} {
	const {batch: b, seq: s} = o;
	const ids = randomIds(b * s, stage.cfg.vocab_size, o.seed + 7);
	if (o.padTokenId !== undefined) ids.fill(o.padTokenId, s - 3, s); // a padded tail on the first row
	if (stage.split.kind === 'head') {
		writeI32(join(dir, 'input.i32'), ids);
		return {input: tf.tensor2d(ids, [b, s], 'int32'), ids};
	}
	const x = tf.randomNormal([b, s, stage.cfg.bottleneck_dim], 0, 1, 'float32', o.seed + 11);
	writeF32(join(dir, 'input.f32'), x.dataSync() as Float32Array);
	writeI32(join(dir, 'targets.i32'), ids);
	return {input: x, ids};
}

function compareGrads(dir: string, stage: LlamaStage, grads: Array<tf.Tensor | null>, none: boolean[]): {err: number; noneMatch: boolean} {
	let err = 0;
	let noneMatch = true;
	grads.forEach((g, i) => {
		if ((g === null) !== none[i]) noneMatch = false;
		if (g === null || none[i]) return;
		err = Math.max(err, maxRelErr(g.dataSync(), readF32(join(dir, `grad${i}.torch.f32`))));
	});
	return {err, noneMatch};
}

export function stageParity(python: string, cfg: LlamaConfig, split: StageSplit, o: ParityOptions): ParityRow {
	const dir = mkdtempSync(join(tmpdir(), 'iota-parity-'));
	const stage = new LlamaStage(cfg, split);
	tf.engine().startScope(); // frees every tensor of this run (the 100M head and tail hold ~0.5 GB each)
	try {
		const weights = parityWeights(stage, o.seed);
		const params = stage.params.map((p, i) => ({name: p.name, shape: p.shape, file: `w${i}.f32`}));
		weights.forEach((w, i) => writeF32(join(dir, params[i]!.file), w.dataSync() as Float32Array));
		const {input, ids} = writeInputs(dir, stage, o);
		let grads, loss: number | null = null;
		if (split.kind === 'tail') {
			const r = stage.lossBackward(weights, input, ids, {padTokenId: o.padTokenId});
			({...grads} = r);
			loss = r.loss.dataSync()[0]!; // cpu backend here
			r.loss.dispose();
		} else {
			const dy = tf.randomNormal([o.batch, o.seq, stage.cfg.bottleneck_dim], 0, 1, 'float32', o.seed + 13);
			writeF32(join(dir, 'dy.f32'), dy.dataSync() as Float32Array);
			grads = stage.backward(weights, input, dy);
		}
		// The output of the gradient pass itself; a separate forward is checked against it below.
		const out = grads.output;
		const again = maxRelErr(stage.forward(weights, input).dataSync(), out.dataSync());
		if (again > 1e-6) throw new Error(`forward and the gradient pass disagree (${again})`);
		const manifest = {cfg, split, batch: o.batch, seq: o.seq, params, pad_token_id: o.padTokenId ?? null, threads: 2};
		writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
		runRef(python, ['run', dir]);
		const result = JSON.parse(readFileSync(join(dir, 'result.torch.json'), 'utf8')) as {loss?: number; grad_none: boolean[]};
		const {err, noneMatch} = compareGrads(dir, stage, grads.weightGrads, result.grad_none);
		return {
			output: maxRelErr(out.dataSync(), readF32(join(dir, 'out.torch.f32'))),
			inputGrad: grads.inputGrad ? maxRelErr(grads.inputGrad.dataSync(), readF32(join(dir, 'input_grad.torch.f32'))) : null,
			weightGrad: err,
			loss: loss === null ? null : Math.abs(loss - result.loss!) / Math.abs(result.loss!),
			noneMatch,
			params: stage.params.length,
		};
	} finally {
		tf.engine().endScope();
		stage.dispose();
		rmSync(dir, {recursive: true, force: true});
	}
}
