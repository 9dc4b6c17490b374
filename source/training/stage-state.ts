// One Llama-3 stage's training state in the worker: its weights, the gradients summed over micro-batches, IOTA's
// clip norm (scaled by the stage's share of all parameters) and inner optimizer, and the flat vectors (weights in
// PyTorch parameters() order, optimizer state as IOTA flattens it). LlamaTrainer holds one; LlamaModelTrainer all.
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.js';
import type {PublicModel} from './llama3/config.js';
import {InnerOptimizer} from './llama3/inner-optimizer.js';
import {exportOptimizerVector, importOptimizerVector, optimizerStateLength} from './llama3/optimizer-vector.js';
import {countParams, stageParams} from './llama3/params.js';
import {LlamaStage} from './llama3/stages.js';
import type {StepResult} from './protocol.js';
import {assertFinite, type TensorData} from './tensor-data.js';
import {useFused} from './webgpu/program.js';
import {fusedSumSquares} from './webgpu/sumsq.js';

export type StageStateOptions = {seed?: number; clipNorm?: number; useAdamW?: boolean};

export class StageState {
	readonly stage: LlamaStage;
	readonly numParams: number;
	readonly clipNorm: number;
	private w: tf.Tensor[];
	private opt: InnerOptimizer;
	private acc: Array<tf.Tensor | null> | undefined;
	private count = 0;
	private steps = 0;

	constructor(model: PublicModel, readonly layer: number, o: StageStateOptions) {
		const {cfg, splits} = model;
		if (!(Number.isInteger(layer) && layer >= 0 && layer < splits.length)) throw new UserError(`stage ${layer} out of range 0..${splits.length - 1}`, 2);
		this.stage = new LlamaStage(cfg, splits[layer]!);
		this.w = this.stage.init(o.seed ?? 42);
		this.numParams = countParams(this.stage.params);
		// IOTA scales the clip norm by the stage's share of all parameters.
		const total = splits.reduce((s, sp) => s + countParams(stageParams(cfg, sp)), 0);
		this.clipNorm = o.clipNorm ?? Math.sqrt(this.numParams / total);
		this.opt = InnerOptimizer.forStage(splits.length, layer, o.useAdamW ?? false, this.w.length);
	}

	get weights(): readonly tf.Tensor[] { return this.w; }
	/** Micro-batches summed since the last step. */
	get microBatches(): number { return this.count; }
	get stepCount(): number { return this.steps; }

	/** Adds one micro-batch's weight gradients (null: no gradient, as PyTorch's None) times `scale`; takes ownership of them. */
	accumulate(grads: Array<tf.Tensor | null>, scale = 1): void {
		const prev = this.acc;
		this.acc = grads.map((g, i) => {
			const a = prev?.[i];
			if (!g) return a ?? null;
			if (scale !== 1) {
				const s = tf.mul(g, scale);
				g.dispose();
				g = s;
			}
			if (!a) return g;
			const sum = tf.add(a, g);
			a.dispose();
			g.dispose();
			return sum;
		});
		this.count++;
	}

	/**
	 * Adds gradients summed elsewhere (a row-split helper's, flat in parameters() order) to the parameters that have
	 * a sum here; the micro-batch count stays (the helper's rows belong to the same micro-batches).
	 */
	addGradients(flat: Float32Array): void {
		if (!this.acc) return;
		let at = 0;
		this.acc = this.acc.map((a, i) => {
			const w = this.w[i]!;
			const part = flat.subarray(at, at + w.size);
			at += w.size;
			if (!a) return a;
			const sum = tf.tidy(() => tf.add(a, tf.tensor(part, w.shape)));
			a.dispose();
			return sum;
		});
	}

	/** Drops the summed gradients without a step. */
	resetGradients(): void {
		for (const g of this.acc ?? []) g?.dispose();
		this.acc = undefined;
		this.count = 0;
	}

	/** Norm of the mean accumulated gradient as a scalar tensor, for the caller to read (and dispose). */
	gradNormTensor(): tf.Scalar {
		if (!this.acc || this.count === 0) throw new UserError('optimizer step without any backward pass');
		const present = this.acc.filter((g): g is tf.Tensor => g !== null);
		const count = this.count;
		if (useFused()) return tf.tidy(() => tf.sqrt(fusedSumSquares(present)).div(count) as tf.Scalar);
		return tf.tidy(() => tf.sqrt(present.map(g => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b))).div(count) as tf.Scalar);
	}

	/** Clips the mean gradient (whose norm the caller read from gradNormTensor) to this stage's norm, then one inner optimizer step. */
	applyStep(lr: number, gradNorm: number): StepResult {
		if (!this.acc || this.count === 0) throw new UserError('optimizer step without any backward pass');
		const count = this.count;
		const clipScale = Math.min(1, this.clipNorm / (gradNorm + 1e-6));
		// The fused webgpu step scales the gradient inside its kernel (no extra dispatch or upload per parameter).
		const fused = useFused();
		const scaled = fused ? [] : this.acc.map(g => (g ? tf.mul(g, clipScale / count) : null));
		const next = this.opt.step(this.w, fused ? this.acc : scaled, lr, fused ? clipScale / count : 1);
		next.forEach((p, i) => { if (p !== this.w[i]) this.w[i]!.dispose(); });
		this.w = next;
		for (const g of [...scaled, ...this.acc]) g?.dispose();
		this.acc = undefined;
		this.count = 0;
		this.steps++;
		return {gradNorm, clipScale, microBatches: count, step: this.steps};
	}

	/** Flat fp32 copy of the weights in PyTorch parameters() order. */
	exportWeights(): Promise<Float32Array> { return flatten(this.w, this.numParams); }

	/** Replaces the weights; the caller has checked the length and that the values are finite. */
	importWeights(flat: Float32Array): void {
		let at = 0;
		this.w = this.w.map(w => {
			const t = tf.tensor(flat.slice(at, at + w.size), w.shape);
			at += w.size;
			w.dispose();
			return t;
		});
	}

	get optimizerStateLength(): number { return optimizerStateLength(this.stage, this.opt); }

	exportOptimizerState(): Promise<Float32Array> { return exportOptimizerVector(this.stage, this.opt); }

	importOptimizerState(flat: Float32Array, step: number): void {
		importOptimizerVector(this.stage, this.opt, flat, step);
		this.steps = step;
	}

	/** Gradients summed so far (zeros where none), flat fp32 in parameters() order. */
	async exportGradients(): Promise<Float32Array> {
		const out = new Float32Array(this.numParams);
		if (!this.acc) return out;
		let at = 0;
		for (const [i, w] of this.w.entries()) {
			const g = this.acc[i];
			if (g) out.set(await g.data() as Float32Array, at);
			at += w.size;
		}
		return out;
	}

	dispose(): void {
		for (const x of [...this.w, ...(this.acc ?? [])]) x?.dispose();
		this.opt.dispose();
		this.stage.dispose();
	}
}

/** Checks token ids (int32 [batch, seq], inside the vocabulary) and returns a copy. */
export function tokenIds(d: TensorData, what: string, vocab: number): Int32Array {
	if (d.dtype !== 'int32' || d.shape.length !== 2) throw new UserError(`${what} must be int32 token ids [batch, seq], got ${d.dtype} [${d.shape}]`);
	const ids = new Int32Array(d.data.slice(0));
	const bad = ids.findIndex(v => v < 0 || v >= vocab);
	if (bad >= 0) throw new UserError(`${what}: token id ${ids[bad]} is outside the vocabulary [0, ${vocab})`);
	return ids;
}

export function checkLr(lr: number): void {
	if (!(lr >= 0) || !Number.isFinite(lr)) throw new UserError(`learning rate must be a finite number >= 0, got ${lr}`);
}

export function checkFiniteNorm(gradNorm: number): void {
	if (!Number.isFinite(gradNorm)) throw new UserError(`gradient norm is ${gradNorm}`);
}

async function flatten(ts: readonly tf.Tensor[], total: number): Promise<Float32Array> {
	const out = new Float32Array(total);
	let at = 0;
	for (const t of ts) {
		out.set(await t.data() as Float32Array, at);
		at += t.size;
	}
	return out;
}
