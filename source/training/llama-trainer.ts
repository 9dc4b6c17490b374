// One IOTA Llama-3 stage in the training worker (the miner's engine): forward, backward with accumulated
// gradients, IOTA's inner optimizer (NAdam, stage beta1) and flat vectors in PyTorch parameters() order.
// The whole model in one worker (the train command) is LlamaModelTrainer (llama-model-trainer.ts).
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.js';
import type {ModelConfig} from './config.js';
import {llamaModelFor} from './llama3/from-model-config.js';
import {shiftedCrossEntropy} from './llama3/loss.js';
import type {LlamaStage} from './llama3/stages.js';
import type {StepResult} from './protocol.js';
import {checkFiniteNorm, checkLr, StageState, tokenIds} from './stage-state.js';
import {assertFinite, fromTensor, type TensorData, toTensor} from './tensor-data.js';

export type LlamaTrainerOptions = {config: ModelConfig; stages: number[]; seed?: number; clipNorm?: number; useAdamW?: boolean};
type Saved = {input: tf.Tensor; ids?: Int32Array};

export class LlamaTrainer {
	readonly stage: LlamaStage;
	readonly numParams: number;
	readonly clipNorm: number;
	readonly first: boolean;
	readonly last: boolean;
	private state: StageState;
	private saved = new Map<string, Saved>();

	constructor(options: LlamaTrainerOptions) {
		const {stages} = options;
		if (stages.length !== 1) throw new UserError(`the llama3 stage trainer trains exactly one stage, got [${stages}]`, 2);
		const model = llamaModelFor(options.config);
		const layer = stages[0]!;
		this.state = new StageState(model, layer, options);
		this.stage = this.state.stage;
		this.numParams = this.state.numParams;
		this.clipNorm = this.state.clipNorm;
		this.first = layer === 0;
		this.last = layer === model.splits.length - 1;
	}

	/** Checks the input (and the tail's ids) and returns the saved pair. */
	private prepare(inputData: TensorData, idsData?: TensorData): Saved {
		const {bottleneck_dim: bd, context_length: ctx, vocab_size: vocab} = this.stage.cfg;
		const [b, s] = inputData.shape as [number, number];
		if (this.first) tokenIds(inputData, 'head stage input', vocab);
		else if (inputData.dtype !== 'float32' || inputData.shape.length !== 3 || inputData.shape[2] !== bd) {
			throw new UserError(`stage input must be float32 [batch, seq, ${bd}], got ${inputData.dtype} [${inputData.shape}]`);
		} else assertFinite(new Float32Array(inputData.data), 'forward input');
		if (!(s >= 2 && s <= ctx)) throw new UserError(`sequence length ${s} outside 2..${ctx}`);
		let ids: Int32Array | undefined;
		if (this.last) {
			if (!idsData) throw new UserError('the final stage needs the token ids for its loss');
			if (idsData.shape.join() !== [b, s].join()) throw new UserError(`token ids [${idsData.shape}] do not match the input [${b}, ${s}]`);
			ids = tokenIds(idsData, 'token ids', vocab);
		}
		return {input: toTensor(inputData), ids};
	}

	/** Forward without a tape; keeps the input under `key` for the matching backward. Tail: the loss. */
	async forward(key: string, inputData: TensorData, idsData?: TensorData): Promise<{output?: TensorData; loss?: number}> {
		const saved = this.prepare(inputData, idsData);
		this.drop(key);
		this.saved.set(key, saved);
		const out = tf.tidy(() => {
			const y = this.stage.forward(this.state.weights as tf.Tensor[], saved.input);
			return this.last ? shiftedCrossEntropy(y, saved.ids!) : y;
		});
		try {
			if (this.last) return {loss: (await out.data())[0]!};
			const data = await fromTensor(out);
			assertFinite(new Float32Array(data.data), 'forward output');
			return {output: data};
		} finally { out.dispose(); }
	}

	/**
	 * Backward of a saved forward: tail from its loss, others from the output gradient; accumulates weight gradients.
	 * `scale` multiplies the tail's gradients (a row split's share of the batch whose mean loss it is).
	 */
	async backward(key: string, gradData?: TensorData, scale = 1): Promise<{inputGrad?: TensorData; loss?: number}> {
		const saved = this.saved.get(key);
		if (!saved) throw new UserError(`no forward activation saved under "${key}"`);
		this.saved.delete(key);
		try {
			const dy = this.last ? undefined : this.outputGrad(saved.input, gradData);
			const w = this.state.weights as tf.Tensor[];
			const r = tf.tidy(() => {
				const g = this.last ? this.stage.lossBackward(w, saved.input, saved.ids!) : this.stage.backward(w, saved.input, dy!);
				g.output.dispose(); // kept by lossBackward, so tidy would not free it
				const s = (x: tf.Tensor) => (scale === 1 ? x : tf.mul(x, scale));
				return {loss: ['loss' in g ? (g.loss as tf.Scalar) : tf.scalar(NaN)], inputGrad: g.inputGrad ? [s(g.inputGrad)] : [], weightGrads: g.weightGrads.map(x => (x ? [s(x)] : []))};
			});
			dy?.dispose();
			const loss = this.last ? (await r.loss[0]!.data())[0]! : undefined;
			r.loss[0]!.dispose();
			if (loss !== undefined && !Number.isFinite(loss)) throw new UserError(`loss is ${loss}`);
			this.state.accumulate(r.weightGrads.map(x => x[0] ?? null));
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

	/** Clip the mean accumulated gradient to this stage's norm, then one step of the inner optimizer. */
	async step(lr: number): Promise<StepResult> {
		checkLr(lr);
		const normT = this.state.gradNormTensor();
		const gradNorm = (await normT.data())[0]!;
		normT.dispose();
		checkFiniteNorm(gradNorm);
		return this.state.applyStep(lr, gradNorm);
	}

	/** Flat fp32 copy of the weights in PyTorch parameters() order. */
	exportWeights(): Promise<Float32Array> { return this.state.exportWeights(); }

	async importWeights(flat: Float32Array): Promise<void> {
		if (flat.length !== this.numParams) throw new UserError(`weights have ${flat.length} elements, this stage needs ${this.numParams}`);
		assertFinite(flat, 'imported weights');
		this.state.importWeights(flat);
	}

	exportOptimizerState(): Promise<Float32Array> { return this.state.exportOptimizerState(); }

	async importOptimizerState(flat: Float32Array, step = this.state.stepCount): Promise<void> {
		assertFinite(flat, 'imported optimizer state');
		this.state.importOptimizerState(flat, step);
	}

	exportGradients(): Promise<Float32Array> { return this.state.exportGradients(); }
	addGradients(flat: Float32Array): void { this.state.addGradients(flat); }
	resetGradients(): void { this.state.resetGradients(); }

	trainBatch(): Promise<number> { return Promise.reject(new UserError('trainBatch needs the whole model in one worker (start it with all stages)')); }
	evalLoss(): Promise<number> { return Promise.reject(new UserError('evalLoss needs the whole model in one worker (start it with all stages)')); }

	stats() {
		const mem = tf.memory();
		return {numParams: this.numParams, step: this.state.stepCount, pendingMicroBatches: this.state.microBatches, savedActivations: this.saved.size, numTensors: mem.numTensors, tensorBytes: mem.numBytes, backend: tf.getBackend()};
	}

	drop(key: string) {
		const s = this.saved.get(key);
		if (s) { s.input.dispose(); this.saved.delete(key); }
	}

	dispose() {
		for (const key of [...this.saved.keys()]) this.drop(key);
		this.state.dispose();
	}
}
