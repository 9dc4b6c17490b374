// In-thread trainer for a contiguous range of stages: forward, backward (with recomputation),
// gradient accumulation, clipping scaled per stage, AdamW, weight/state export.
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.js';
import {countParams, type ModelConfig, totalParams, validateConfig} from './config.js';
import {adamwStepWebgpu, type AdamWScalars} from './adamw-webgpu.js';
import {initParam, StageModel} from './model.js';
import {assertFinite, fromTensor, type TensorData, toTensor} from './tensor-data.js';

export type AdamWOptions = {weightDecay: number; beta1: number; beta2: number; eps: number};
export const iotaAdamW: AdamWOptions = {weightDecay: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8};

export type TrainerOptions = {config: ModelConfig; stages: number[]; seed?: number; adamw?: Partial<AdamWOptions>; clipNorm?: number};
export type StepResult = {gradNorm: number; clipScale: number; microBatches: number; step: number};

let nextId = 0;

export class Trainer {
	readonly stages: StageModel[];
	readonly vars: tf.Variable[];
	readonly numParams: number;
	readonly clipNorm: number;
	private m: tf.Variable[] = [];
	private v: tf.Variable[] = [];
	private acc: tf.Tensor[] | undefined;
	private accCount = 0;
	private stepCount = 0;
	private saved = new Map<string, {input: tf.Tensor; ids?: tf.Tensor2D}>();
	private opt: AdamWOptions;
	readonly first: boolean;
	readonly last: boolean;

	constructor(readonly options: TrainerOptions) {
		const {config, stages} = options;
		validateConfig(config);
		if (stages.length === 0 || stages.some((s, i) => i > 0 && s !== stages[i - 1]! + 1)) throw new UserError(`stages must be a contiguous list, got [${stages}]`, 2);
		this.stages = stages.map(s => new StageModel(config, s));
		const specs = this.stages.flatMap(s => s.params);
		this.numParams = countParams(specs);
		this.vars = specs.map(p => tf.variable(tf.tensor(initParam(p, options.seed ?? 42), p.shape), true, `${p.name}#${nextId++}`));
		this.opt = {...iotaAdamW, ...options.adamw};
		// IOTA scales the clip norm by the stage's share of all parameters.
		this.clipNorm = options.clipNorm ?? Math.sqrt(this.numParams / totalParams(config));
		this.first = this.stages[0]!.spec.embedding;
		this.last = this.stages.at(-1)!.spec.head;
	}

	/** Runs all held stages in order; returns the stage output, or the loss if the last held stage is the tail. */
	private run(w: tf.Tensor[], input: tf.Tensor, ids?: tf.Tensor2D): tf.Tensor {
		let x = input;
		let offset = 0;
		for (const s of this.stages) {
			x = s.apply(w.slice(offset, offset + s.params.length), x, ids);
			offset += s.params.length;
		}
		return x;
	}

	private checkInput(input: tf.Tensor, ids?: tf.Tensor) {
		const {seqLen, bottleneckDim} = this.options.config;
		if (this.first) {
			if (input.dtype !== 'int32' || input.rank !== 2) throw new UserError(`head stage input must be int32 token ids [batch, seq], got ${input.dtype} [${input.shape}]`);
			if (input.shape[1]! < 2 || input.shape[1]! > seqLen) throw new UserError(`sequence length ${input.shape[1]} outside 2..${seqLen}`);
		} else if (input.rank !== 3 || input.shape[2] !== bottleneckDim) {
			throw new UserError(`stage input must be [batch, seq, ${bottleneckDim}], got [${input.shape}]`);
		}
		if (this.last && !ids && !this.first) throw new UserError('the final stage needs the token ids for its loss');
	}

	/** Forward without a tape. Keeps the input under `key` for the matching backward. */
	async forward(key: string, inputData: TensorData, idsData?: TensorData): Promise<{output?: TensorData; loss?: number}> {
		if (inputData.dtype === 'float32') assertFinite(new Float32Array(inputData.data), 'forward input');
		const input = toTensor(inputData);
		const ids = idsData ? toTensor(idsData) as tf.Tensor2D : this.first ? input as tf.Tensor2D : undefined;
		this.checkInput(input, ids);
		this.drop(key);
		this.saved.set(key, {input, ids: ids === input ? undefined : ids});
		const out = tf.tidy(() => this.run(this.vars, input, ids));
		try {
			if (this.last) return {loss: (await out.data())[0]!};
			const data = await fromTensor(out);
			assertFinite(new Float32Array(data.data), 'forward output');
			return {output: data};
		} finally { out.dispose(); }
	}

	/** Backward for a saved forward: recomputes the stages under a tape, accumulates parameter gradients, returns dL/dinput. */
	async backward(key: string, gradData?: TensorData): Promise<{inputGrad?: TensorData; loss?: number}> {
		const saved = this.saved.get(key);
		if (!saved) throw new UserError(`no forward activation saved under "${key}"`);
		this.saved.delete(key);
		if (!this.last && !gradData) throw new UserError('backward of a non-final stage needs the output gradient');
		if (gradData) assertFinite(new Float32Array(gradData.data), 'backward gradient');
		const dy = gradData ? toTensor(gradData) : undefined;
		try {
			const ids = saved.ids ?? (this.first ? saved.input as tf.Tensor2D : undefined);
			const {loss, inputGrad} = await this.accumulate(saved.input, ids, dy);
			if (!inputGrad) return {loss};
			try {
				const data = await fromTensor(inputGrad);
				assertFinite(new Float32Array(data.data), 'input gradient');
				return {inputGrad: data, loss};
			} finally { inputGrad.dispose(); }
		} finally {
			saved.input.dispose();
			saved.ids?.dispose();
			dy?.dispose();
		}
	}

	/** One fused forward+backward over all held stages (the whole model in `train`). Returns the loss. */
	async trainBatch(idsData: TensorData): Promise<number> {
		if (!this.first || !this.last) throw new UserError('trainBatch needs the whole model (all stages)');
		const ids = toTensor(idsData) as tf.Tensor2D;
		try {
			this.checkInput(ids);
			return (await this.accumulate(ids, ids)).loss!;
		} finally { ids.dispose(); }
	}

	async evalLoss(idsData: TensorData): Promise<number> {
		if (!this.first || !this.last) throw new UserError('evalLoss needs the whole model (all stages)');
		const ids = toTensor(idsData) as tf.Tensor2D;
		try {
			this.checkInput(ids);
			const loss = tf.tidy(() => this.run(this.vars, ids, ids));
			const value = (await loss.data())[0]!;
			loss.dispose();
			return value;
		} finally { ids.dispose(); }
	}

	private async accumulate(input: tf.Tensor, ids: tf.Tensor2D | undefined, dy?: tf.Tensor): Promise<{loss?: number; inputGrad?: tf.Tensor}> {
		const withInput = !this.first;
		const {value, grads} = tf.tidy(() => {
			const f = (...args: tf.Tensor[]) => withInput ? this.run(args.slice(1), args[0]!, ids) : this.run(args, input, ids);
			return tf.valueAndGrads(f)(withInput ? [input, ...this.vars] : [...this.vars], dy);
		});
		const paramGrads = withInput ? grads.slice(1) : grads;
		const prev = this.acc;
		this.acc = prev ? prev.map((a, i) => tf.tidy(() => tf.add(a, paramGrads[i]!))) : paramGrads.map(g => tf.keep(g.clone()));
		prev?.forEach(a => a.dispose());
		paramGrads.forEach(g => g.dispose());
		this.accCount++;
		const loss = this.last ? (await value.data())[0]! : undefined;
		value.dispose();
		if (loss !== undefined && !Number.isFinite(loss)) throw new UserError(`loss is ${loss}`);
		return {loss, inputGrad: withInput ? grads[0] : undefined};
	}

	/** Clip the mean accumulated gradient to this stage's norm and take one AdamW step. */
	async step(lr: number): Promise<StepResult> {
		if (!(lr >= 0) || !Number.isFinite(lr)) throw new UserError(`learning rate must be a finite number >= 0, got ${lr}`);
		if (!this.acc || this.accCount === 0) throw new UserError('optimizer step without any backward pass');
		if (this.m.length === 0) {
			this.m = this.vars.map(v => tf.variable(tf.zerosLike(v), false));
			this.v = this.vars.map(v => tf.variable(tf.zerosLike(v), false));
		}
		const count = this.accCount;
		// Pairwise adds, not tf.addN: WebGPU allows 8 storage buffers per kernel and addN binds one per input.
		const normT = tf.tidy(() => tf.sqrt(this.acc!.map(g => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b))).div(count));
		const gradNorm = (await normT.data())[0]!;
		normT.dispose();
		if (!Number.isFinite(gradNorm)) throw new UserError(`gradient norm is ${gradNorm}`);
		const clipScale = Math.min(1, this.clipNorm / (gradNorm + 1e-6));
		this.stepCount++;
		const {beta1: b1, beta2: b2, eps, weightDecay: wd} = this.opt;
		const t = this.stepCount;
		const scalars: AdamWScalars = {gScale: clipScale / count, b1, b2, decay: 1 - lr * wd, stepSize: lr / (1 - b1 ** t), sqrtBc2: Math.sqrt(1 - b2 ** t), eps};
		tf.tidy(() => {
			if (tf.getBackend() === 'webgpu' && process.env.IOTA_TUI_ADAMW !== 'ops') { // 'ops': the tf-ops path, for the bench's comparison
				this.vars.forEach((p, i) => adamwStepWebgpu(p, this.m[i]!, this.v[i]!, this.acc![i]!, scalars));
				return;
			}
			// Scalars made once per step, not once per variable: each JS number becomes an upload on a GPU.
			const s = (x: number) => tf.scalar(x);
			const gScale = s(scalars.gScale), cb1 = s(b1), c1b1 = s(1 - b1), cb2 = s(b2), c1b2 = s(1 - b2);
			const decay = s(scalars.decay), stepSize = s(scalars.stepSize), sqrtBc2 = s(scalars.sqrtBc2), e = s(eps);
			this.vars.forEach((p, i) => {
				const g = tf.mul(this.acc![i]!, gScale);
				const m = tf.add(tf.mul(this.m[i]!, cb1), tf.mul(g, c1b1));
				const v = tf.add(tf.mul(this.v[i]!, cb2), tf.mul(tf.square(g), c1b2));
				this.m[i]!.assign(m);
				this.v[i]!.assign(v);
				const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), e);
				p.assign(tf.sub(tf.mul(p, decay), tf.mul(stepSize, tf.div(m, denom))));
			});
		});
		this.acc.forEach(a => a.dispose());
		this.acc = undefined;
		this.accCount = 0;
		return {gradNorm, clipScale, microBatches: count, step: t};
	}

	/** Flat fp32 copy of all parameters, in parameter order. */
	async exportWeights(): Promise<Float32Array> { return flatten(this.vars, this.numParams); }

	async importWeights(flat: Float32Array): Promise<void> {
		if (flat.length !== this.numParams) throw new UserError(`weights have ${flat.length} elements, this model needs ${this.numParams}`);
		assertFinite(flat, 'imported weights');
		unflatten(this.vars, flat);
	}

	/** AdamW moments as IOTA lays them out: exp_avg then exp_avg_sq for each parameter in order (2x the weights). */
	async exportOptimizerState(): Promise<Float32Array> {
		if (this.m.length === 0) return new Float32Array(2 * this.numParams);
		const order = this.vars.flatMap((_, i) => [this.m[i]!, this.v[i]!]);
		return flatten(order, 2 * this.numParams);
	}

	async importOptimizerState(flat: Float32Array, step = this.stepCount): Promise<void> {
		if (flat.length !== 2 * this.numParams) throw new UserError(`optimizer state has ${flat.length} elements, expected ${2 * this.numParams}`);
		assertFinite(flat, 'imported optimizer state');
		if (this.m.length === 0) {
			this.m = this.vars.map(v => tf.variable(tf.zerosLike(v), false));
			this.v = this.vars.map(v => tf.variable(tf.zerosLike(v), false));
		}
		unflatten(this.vars.flatMap((_, i) => [this.m[i]!, this.v[i]!]), flat);
		this.stepCount = step;
	}

	/** Parameter gradients accumulated so far (sum over micro-batches), flat fp32; for tests and checks. */
	async exportGradients(): Promise<Float32Array> {
		if (!this.acc) return new Float32Array(this.numParams);
		return flatten(this.acc, this.numParams);
	}

	stats() {
		const mem = tf.memory();
		return {numParams: this.numParams, step: this.stepCount, pendingMicroBatches: this.accCount, savedActivations: this.saved.size, numTensors: mem.numTensors, tensorBytes: mem.numBytes, backend: tf.getBackend()};
	}

	drop(key: string) {
		const s = this.saved.get(key);
		if (s) { s.input.dispose(); s.ids?.dispose(); this.saved.delete(key); }
	}

	dispose() {
		for (const key of [...this.saved.keys()]) this.drop(key);
		for (const x of [...this.vars, ...this.m, ...this.v, ...(this.acc ?? [])]) x.dispose();
		this.stages.forEach(s => s.dispose());
	}
}

async function flatten(ts: tf.Tensor[], total: number): Promise<Float32Array> {
	const out = new Float32Array(total);
	let off = 0;
	for (const t of ts) {
		const d = (await t.data()) as Float32Array;
		out.set(d, off);
		off += d.length;
	}
	return out;
}

function unflatten(vars: tf.Variable[], flat: Float32Array) {
	let off = 0;
	for (const v of vars) {
		const n = v.size;
		tf.tidy(() => v.assign(tf.tensor(flat.subarray(off, off + n), v.shape)));
		off += n;
	}
}
