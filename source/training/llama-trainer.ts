// One IOTA Llama-3 stage in the training worker (the miner's engine): forward, backward with accumulated
// gradients, IOTA's inner optimizer (NAdam, stage beta1) and flat vectors in PyTorch parameters() order.
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.js';
import type {ModelConfig} from './config.js';
import {llamaModelFor} from './llama3/from-model-config.js';
import {InnerOptimizer} from './llama3/inner-optimizer.js';
import {shiftedCrossEntropy} from './llama3/loss.js';
import {exportOptimizerVector, importOptimizerVector} from './llama3/optimizer-vector.js';
import {countParams, stageParams} from './llama3/params.js';
import {LlamaStage} from './llama3/stages.js';
import {assertFinite, fromTensor, type TensorData, toTensor} from './tensor-data.js';
import type {StepResult} from './trainer.js';

export type LlamaTrainerOptions = {config: ModelConfig; stages: number[]; seed?: number; clipNorm?: number; useAdamW?: boolean};
type Saved = {input: tf.Tensor; ids?: Int32Array};

export class LlamaTrainer {
	readonly stage: LlamaStage;
	readonly numParams: number;
	readonly clipNorm: number;
	readonly first: boolean;
	readonly last: boolean;
	private weights: tf.Tensor[];
	private opt: InnerOptimizer;
	private acc: Array<tf.Tensor | null> | undefined;
	private accCount = 0;
	private stepCount = 0;
	private saved = new Map<string, Saved>();

	constructor(options: LlamaTrainerOptions) {
		const {stages} = options;
		if (stages.length !== 1) throw new UserError(`the llama3 engine trains exactly one stage, got [${stages}]`, 2);
		const {cfg, splits} = llamaModelFor(options.config);
		const layer = stages[0]!;
		if (!(Number.isInteger(layer) && layer >= 0 && layer < splits.length)) throw new UserError(`stage ${layer} out of range 0..${splits.length - 1}`, 2);
		this.stage = new LlamaStage(cfg, splits[layer]!);
		this.weights = this.stage.init(options.seed ?? 42);
		this.numParams = countParams(this.stage.params);
		// IOTA scales the clip norm by the stage's share of all parameters.
		const total = splits.reduce((s, sp) => s + countParams(stageParams(cfg, sp)), 0);
		this.clipNorm = options.clipNorm ?? Math.sqrt(this.numParams / total);
		this.opt = InnerOptimizer.forStage(splits.length, layer, options.useAdamW ?? false, this.weights.length);
		this.first = layer === 0;
		this.last = layer === splits.length - 1;
	}

	private tokenIds(d: TensorData, what: string): Int32Array {
		if (d.dtype !== 'int32' || d.shape.length !== 2) throw new UserError(`${what} must be int32 token ids [batch, seq], got ${d.dtype} [${d.shape}]`);
		const ids = new Int32Array(d.data.slice(0));
		const vocab = this.stage.cfg.vocab_size;
		const bad = ids.findIndex(v => v < 0 || v >= vocab);
		if (bad >= 0) throw new UserError(`${what}: token id ${ids[bad]} is outside the vocabulary [0, ${vocab})`);
		return ids;
	}

	/** Checks the input (and the tail's ids) and returns the saved pair. */
	private prepare(inputData: TensorData, idsData?: TensorData): Saved {
		const {bottleneck_dim: bd, context_length: ctx} = this.stage.cfg;
		const [b, s] = inputData.shape as [number, number];
		if (this.first) this.tokenIds(inputData, 'head stage input');
		else if (inputData.dtype !== 'float32' || inputData.shape.length !== 3 || inputData.shape[2] !== bd) {
			throw new UserError(`stage input must be float32 [batch, seq, ${bd}], got ${inputData.dtype} [${inputData.shape}]`);
		} else assertFinite(new Float32Array(inputData.data), 'forward input');
		if (!(s >= 2 && s <= ctx)) throw new UserError(`sequence length ${s} outside 2..${ctx}`);
		let ids: Int32Array | undefined;
		if (this.last) {
			if (!idsData) throw new UserError('the final stage needs the token ids for its loss');
			if (idsData.shape.join() !== [b, s].join()) throw new UserError(`token ids [${idsData.shape}] do not match the input [${b}, ${s}]`);
			ids = this.tokenIds(idsData, 'token ids');
		}
		return {input: toTensor(inputData), ids};
	}

	/** Forward without a tape; keeps the input under `key` for the matching backward. Tail: the loss. */
	async forward(key: string, inputData: TensorData, idsData?: TensorData): Promise<{output?: TensorData; loss?: number}> {
		const saved = this.prepare(inputData, idsData);
		this.drop(key);
		this.saved.set(key, saved);
		const out = tf.tidy(() => {
			const y = this.stage.forward(this.weights, saved.input);
			return this.last ? shiftedCrossEntropy(y, saved.ids!) : y;
		});
		try {
			if (this.last) return {loss: (await out.data())[0]!};
			const data = await fromTensor(out);
			assertFinite(new Float32Array(data.data), 'forward output');
			return {output: data};
		} finally { out.dispose(); }
	}

	/** Backward of a saved forward: tail from its loss, others from the output gradient; accumulates weight gradients. */
	async backward(key: string, gradData?: TensorData): Promise<{inputGrad?: TensorData; loss?: number}> {
		const saved = this.saved.get(key);
		if (!saved) throw new UserError(`no forward activation saved under "${key}"`);
		this.saved.delete(key);
		try {
			const dy = this.last ? undefined : this.outputGrad(saved.input, gradData);
			const r = tf.tidy(() => {
				const g = this.last ? this.stage.lossBackward(this.weights, saved.input, saved.ids!) : this.stage.backward(this.weights, saved.input, dy!);
				g.output.dispose(); // kept by lossBackward, so tidy would not free it
				return {loss: ['loss' in g ? (g.loss as tf.Scalar) : tf.scalar(NaN)], inputGrad: g.inputGrad ? [g.inputGrad] : [], weightGrads: g.weightGrads.map(w => (w ? [w] : []))};
			});
			dy?.dispose();
			const loss = this.last ? (await r.loss[0]!.data())[0]! : undefined;
			r.loss[0]!.dispose();
			if (loss !== undefined && !Number.isFinite(loss)) throw new UserError(`loss is ${loss}`);
			this.accumulate(r.weightGrads.map(w => w[0] ?? null));
			const g = r.inputGrad[0];
			if (!g) return {loss};
			try {
				const data = await fromTensor(g);
				assertFinite(new Float32Array(data.data), 'input gradient');
				return {inputGrad: data, loss};
			} finally { g.dispose(); }
		} finally { saved.input.dispose(); }
	}

	private outputGrad(input: tf.Tensor, gradData?: TensorData): tf.Tensor {
		if (!gradData) throw new UserError('backward of a non-final stage needs the output gradient');
		const want = [input.shape[0], input.shape[1], this.stage.cfg.bottleneck_dim];
		if (gradData.dtype !== 'float32' || gradData.shape.join() !== want.join()) throw new UserError(`output gradient must be float32 [${want}], got ${gradData.dtype} [${gradData.shape}]`);
		assertFinite(new Float32Array(gradData.data), 'backward gradient');
		return toTensor(gradData);
	}

	private accumulate(grads: Array<tf.Tensor | null>): void {
		const prev = this.acc;
		this.acc = grads.map((g, i) => {
			const a = prev?.[i];
			if (!g) return a ?? null;
			if (!a) return g;
			const sum = tf.add(a, g);
			a.dispose();
			g.dispose();
			return sum;
		});
		this.accCount++;
	}

	/** Clip the mean accumulated gradient to this stage's norm, then one step of the inner optimizer. */
	async step(lr: number): Promise<StepResult> {
		if (!(lr >= 0) || !Number.isFinite(lr)) throw new UserError(`learning rate must be a finite number >= 0, got ${lr}`);
		if (!this.acc || this.accCount === 0) throw new UserError('optimizer step without any backward pass');
		const count = this.accCount;
		const present = this.acc.filter((g): g is tf.Tensor => g !== null);
		const normT = tf.tidy(() => tf.sqrt(present.map(g => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b))).div(count));
		const gradNorm = (await normT.data())[0]!;
		normT.dispose();
		if (!Number.isFinite(gradNorm)) throw new UserError(`gradient norm is ${gradNorm}`);
		const clipScale = Math.min(1, this.clipNorm / (gradNorm + 1e-6));
		const scaled = this.acc.map(g => (g ? tf.mul(g, clipScale / count) : null));
		const next = this.opt.step(this.weights, scaled, lr);
		next.forEach((p, i) => { if (p !== this.weights[i]) this.weights[i]!.dispose(); });
		this.weights = next;
		for (const g of [...scaled, ...this.acc]) g?.dispose();
		this.acc = undefined;
		this.accCount = 0;
		this.stepCount++;
		return {gradNorm, clipScale, microBatches: count, step: this.stepCount};
	}

	/** Flat fp32 copy of the weights in PyTorch parameters() order. */
	async exportWeights(): Promise<Float32Array> { return flatten(this.weights, this.numParams); }

	async importWeights(flat: Float32Array): Promise<void> {
		if (flat.length !== this.numParams) throw new UserError(`weights have ${flat.length} elements, this stage needs ${this.numParams}`);
		assertFinite(flat, 'imported weights');
		let at = 0;
		this.weights = this.weights.map(w => {
			const t = tf.tensor(flat.slice(at, at + w.size), w.shape);
			at += w.size;
			w.dispose();
			return t;
		});
	}

	async exportOptimizerState(): Promise<Float32Array> { return exportOptimizerVector(this.stage, this.opt); }

	async importOptimizerState(flat: Float32Array, step = this.stepCount): Promise<void> {
		assertFinite(flat, 'imported optimizer state');
		importOptimizerVector(this.stage, this.opt, flat, step);
		this.stepCount = step;
	}

	async exportGradients(): Promise<Float32Array> {
		const out = new Float32Array(this.numParams);
		if (!this.acc) return out;
		let at = 0;
		for (const [i, w] of this.weights.entries()) {
			const g = this.acc[i];
			if (g) out.set(await g.data() as Float32Array, at);
			at += w.size;
		}
		return out;
	}

	trainBatch(): Promise<number> { return Promise.reject(new UserError('trainBatch needs the whole-model engine (legacy)')); }
	evalLoss(): Promise<number> { return Promise.reject(new UserError('evalLoss needs the whole-model engine (legacy)')); }

	stats() {
		const mem = tf.memory();
		return {numParams: this.numParams, step: this.stepCount, pendingMicroBatches: this.accCount, savedActivations: this.saved.size, numTensors: mem.numTensors, tensorBytes: mem.numBytes, backend: tf.getBackend()};
	}

	drop(key: string) {
		const s = this.saved.get(key);
		if (s) { s.input.dispose(); this.saved.delete(key); }
	}

	dispose() {
		for (const key of [...this.saved.keys()]) this.drop(key);
		for (const x of [...this.weights, ...(this.acc ?? [])]) x?.dispose();
		this.opt.dispose();
		this.stage.dispose();
	}
}

async function flatten(ts: tf.Tensor[], total: number): Promise<Float32Array> {
	const out = new Float32Array(total);
	let at = 0;
	for (const t of ts) {
		out.set(await t.data() as Float32Array, at);
		at += t.size;
	}
	return out;
}
