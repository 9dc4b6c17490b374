// The whole IOTA Llama-3 model in one worker (the train command): every stage of the config, chained head ids ->
// body -> tail loss under one tape, so a micro-batch costs one forward and one backward. Each stage keeps its own
// weights, gradient sums, clip norm (its share of all parameters) and inner optimizer (NAdam with its stage beta1),
// as the miners of a pipeline do; the gradients equal those the stages pass each other (stages.test.ts checks it).
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.js';
import type {ModelConfig} from './config.js';
import {llamaModelFor} from './llama3/from-model-config.js';
import {shiftedCrossEntropy} from './llama3/loss.js';
import type {StepResult} from './protocol.js';
import {checkFiniteNorm, checkLr, StageState, tokenIds} from './stage-state.js';
import {assertFinite, type TensorData} from './tensor-data.js';

export type LlamaModelTrainerOptions = {config: ModelConfig; stages: number[]; seed?: number; clipNorm?: number; useAdamW?: boolean};

export class LlamaModelTrainer {
	readonly parts: StageState[];
	readonly numParams: number;
	/** Each stage's clip norm, head first. */
	readonly clipNorms: number[];
	/** The whole gradient's norm when every stage sits at its clip (1.0 with IOTA's shares). */
	readonly clipNorm: number;
	private readonly vocab: number;
	private readonly context: number;

	constructor(options: LlamaModelTrainerOptions) {
		const model = llamaModelFor(options.config);
		const n = model.splits.length;
		const {stages} = options;
		if (stages.length !== n || stages.some((s, i) => s !== i)) {
			throw new UserError(`the whole-model trainer takes every stage in order, [${Array.from({length: n}, (_, i) => i)}], got [${stages}]`, 2);
		}
		this.parts = [];
		try {
			for (const layer of stages) this.parts.push(new StageState(model, layer, options));
		} catch (error) {
			this.parts.forEach(p => p.dispose());
			throw error;
		}
		this.numParams = this.parts.reduce((s, p) => s + p.numParams, 0);
		this.clipNorms = this.parts.map(p => p.clipNorm);
		this.clipNorm = Math.hypot(...this.clipNorms);
		this.vocab = model.cfg.vocab_size;
		this.context = model.cfg.context_length;
	}

	private ids(d: TensorData): {ids: Int32Array; b: number; s: number} {
		const ids = tokenIds(d, 'training input', this.vocab);
		const [b, s] = d.shape as [number, number];
		if (ids.length !== b * s) throw new UserError(`tensor data has ${ids.length} elements, shape [${d.shape}] needs ${b * s}`);
		if (!(s >= 2 && s <= this.context)) throw new UserError(`sequence length ${s} outside 2..${this.context}`);
		return {ids, b, s};
	}

	/** head(ids) -> ... -> tail logits with the given weights per stage. */
	private logits(weights: tf.Tensor[][], x: tf.Tensor): tf.Tensor3D {
		let h = x;
		this.parts.forEach((p, k) => { h = p.stage.forward(weights[k]!, h); });
		return h as tf.Tensor3D;
	}

	/**
	 * One forward and backward of the whole model; adds each stage's weight gradients (times `scale`: a row split's
	 * share of the batch) to its sums. Returns the loss.
	 */
	async trainBatch(idsData: TensorData, scale = 1): Promise<number> {
		const {ids, b, s} = this.ids(idsData);
		const used = this.parts.map(p => p.weights.map((_, i) => i).filter(i => p.stage.isUsed(i)));
		const x = tf.tensor2d(ids, [b, s], 'int32');
		let r: {value: tf.Scalar; grads: tf.Tensor[]};
		try {
			r = tf.tidy(() => tf.valueAndGrads((...args: tf.Tensor[]) => {
				let at = 0;
				const weights = this.parts.map((p, k) => {
					const w = p.weights.slice();
					for (const i of used[k]!) w[i] = args[at++]!;
					return w;
				});
				return shiftedCrossEntropy(this.logits(weights, x), ids);
			})(this.parts.flatMap((p, k) => used[k]!.map(i => p.weights[i]!))));
		} finally { x.dispose(); }
		const loss = (await r.value.data())[0]!;
		r.value.dispose();
		if (!Number.isFinite(loss)) {
			tf.dispose(r.grads);
			throw new UserError(`loss is ${loss}`);
		}
		let at = 0;
		this.parts.forEach((p, k) => {
			const grads: Array<tf.Tensor | null> = p.weights.map(() => null);
			for (const i of used[k]!) grads[i] = r.grads[at++]!;
			p.accumulate(grads, scale);
		});
		return loss;
	}

	/** The loss of the current weights on a batch, no tape and no gradients. */
	async evalLoss(idsData: TensorData): Promise<number> {
		const {ids, b, s} = this.ids(idsData);
		const loss = tf.tidy(() => shiftedCrossEntropy(this.logits(this.parts.map(p => p.weights as tf.Tensor[]), tf.tensor2d(ids, [b, s], 'int32')), ids));
		try {
			return (await loss.data())[0]!;
		} finally { loss.dispose(); }
	}

	/** Every stage clips its mean gradient to its own norm and takes its own inner optimizer step (none if any norm is not finite). */
	async step(lr: number): Promise<StepResult> {
		checkLr(lr);
		const norms = tf.tidy(() => tf.stack(this.parts.map(p => p.gradNormTensor())));
		const values = [...await norms.data()];
		norms.dispose();
		const gradNorm = Math.hypot(...values);
		checkFiniteNorm(gradNorm);
		const per = this.parts.map((p, k) => p.applyStep(lr, values[k]!));
		return {gradNorm, clipScale: Math.min(...per.map(r => r.clipScale)), microBatches: per[0]!.microBatches, step: per[0]!.step,
			stages: per.map(r => ({gradNorm: r.gradNorm, clipScale: r.clipScale}))};
	}

	/** The stages' weight vectors one after another, head first. */
	exportWeights(): Promise<Float32Array> { return this.concat(p => p.exportWeights(), this.numParams); }

	async importWeights(flat: Float32Array): Promise<void> {
		if (flat.length !== this.numParams) throw new UserError(`weights have ${flat.length} elements, this model needs ${this.numParams}`);
		assertFinite(flat, 'imported weights');
		let at = 0;
		for (const p of this.parts) { p.importWeights(flat.subarray(at, at + p.numParams)); at += p.numParams; }
	}

	/** The stages' IOTA optimizer vectors one after another, head first. */
	exportOptimizerState(): Promise<Float32Array> { return this.concat(p => p.exportOptimizerState(), this.optimizerStateLength()); }

	async importOptimizerState(flat: Float32Array, step = this.parts[0]!.stepCount): Promise<void> {
		const want = this.optimizerStateLength();
		if (flat.length !== want) throw new UserError(`optimizer state has ${flat.length} elements, this model needs ${want}`);
		assertFinite(flat, 'imported optimizer state');
		let at = 0;
		for (const p of this.parts) { const n = p.optimizerStateLength; p.importOptimizerState(flat.subarray(at, at + n), step); at += n; }
	}

	/** Summed gradients of every stage, head first (zeros where none). */
	exportGradients(): Promise<Float32Array> { return this.concat(p => p.exportGradients(), this.numParams); }

	/** Adds a row-split helper's summed gradients (this layout) to every stage's sums. */
	addGradients(flat: Float32Array): void {
		let at = 0;
		for (const p of this.parts) { p.addGradients(flat.subarray(at, at + p.numParams)); at += p.numParams; }
	}

	resetGradients(): void { this.parts.forEach(p => p.resetGradients()); }

	forward(): Promise<never> { return Promise.reject(new UserError('forward takes one stage: this worker holds the whole model (use trainBatch / evalLoss)')); }
	backward(): Promise<never> { return Promise.reject(new UserError('backward takes one stage: this worker holds the whole model (use trainBatch / evalLoss)')); }

	stats() {
		const mem = tf.memory();
		return {numParams: this.numParams, step: this.parts[0]!.stepCount, pendingMicroBatches: this.parts[0]!.microBatches, savedActivations: 0, numTensors: mem.numTensors, tensorBytes: mem.numBytes, backend: tf.getBackend()};
	}

	/** Nothing is saved between calls here. */
	drop(_key: string): void {}

	dispose(): void { this.parts.forEach(p => p.dispose()); }

	private optimizerStateLength(): number { return this.parts.reduce((s, p) => s + p.optimizerStateLength, 0); }

	private async concat(part: (p: StageState) => Promise<Float32Array>, total: number): Promise<Float32Array> {
		const out = new Float32Array(total);
		let at = 0;
		for (const p of this.parts) { const v = await part(p); out.set(v, at); at += v.length; }
		return out;
	}
}
