// IOTA's Llama-3 pipeline stages (head, body, tail) as pure functions of (weights, input), with seeded init
// and gradients w.r.t. the input and the weights. Weights follow params.ts: PyTorch's names, order and [out, in].
import * as tf from '@tensorflow/tfjs';
import {causalMask, rmsNorm} from '../ops.js';
import {block, type BlockContext, NORM_EPS} from './blocks.js';
import {type LlamaConfig, type StageSplit, validateConfig, validateSplit} from './config.js';
import {initParam} from './init.js';
import {embedding, linear} from './linear.js';
import {type LossOptions, shiftedCrossEntropy} from './loss.js';
import {blockLayout, type BlockLayout, type LlamaParam, stageParams, unusedParams} from './params.js';
import {ropeTables} from './rope.js';

/**
 * The stage output (tail: logits) and gradients; null where PyTorch leaves .grad None (an input of token ids,
 * a weight the pass never reads).
 */
export type StageGrads = {output: tf.Tensor3D; inputGrad: tf.Tensor | null; weightGrads: Array<tf.Tensor | null>};

export class LlamaStage {
	readonly params: LlamaParam[];
	readonly layout: BlockLayout[];
	private index: Map<string, number>;
	private unused: Set<string>;
	private tables = new Map<number, {cos: tf.Tensor2D; sin: tf.Tensor2D; mask: tf.Tensor2D}>();

	constructor(readonly cfg: LlamaConfig, readonly split: StageSplit) {
		validateConfig(cfg);
		validateSplit(split, cfg.n_layers);
		this.params = stageParams(cfg, split);
		this.layout = blockLayout(split);
		this.index = new Map(this.params.map((p, i) => [p.name, i]));
		this.unused = unusedParams(split);
	}

	/** Seeded weights: N(0, 0.02) for Linear and Embedding, ones for RMSNorm (IOTA's init_weights). */
	init(seed: number): tf.Tensor[] {
		return this.params.map(p => tf.tensor(initParam(p, seed), p.shape));
	}

	/** Whether PyTorch gives this parameter a gradient (false for an idle bottleneck decoder). */
	isUsed(i: number): boolean { return !this.unused.has(this.params[i]!.name); }

	/** Head: int32 ids [B, S] -> [B, S, bottleneck]. Body: [B, S, bottleneck] -> same. Tail: [B, S, bottleneck] -> logits [B, S, V]. */
	forward(weights: tf.Tensor[], input: tf.Tensor): tf.Tensor3D {
		if (weights.length !== this.params.length) throw new Error(`expected ${this.params.length} weights, got ${weights.length}`);
		const [b, t] = input.shape as [number, number];
		const {cfg} = this;
		const P = (name: string) => weights[this.index.get(name)!]!;
		let x = this.split.kind === 'head'
			? embedding(P('tok_emb.weight'), tf.reshape(input, [b * t]) as tf.Tensor1D)
			: tf.reshape(input, [b * t, cfg.bottleneck_dim]) as tf.Tensor2D;
		const ctx: BlockContext = {cfg, b, t, ...this.tablesFor(t)};
		for (const l of this.layout) x = block(x, name => P(`trf_blocks.${l.index}.${name}`), l, ctx);
		if (this.split.kind !== 'tail') return tf.reshape(x, [b, t, cfg.bottleneck_dim]);
		const logits = linear(rmsNorm(x, P('final_norm.weight'), NORM_EPS), P('out_head.weight'));
		return tf.reshape(logits, [b, t, cfg.vocab_size]);
	}

	/** Vector-Jacobian product: gradients of sum(forward * outputGrad) (what the next stage's input gradient drives). */
	backward(weights: tf.Tensor[], input: tf.Tensor, outputGrad: tf.Tensor): StageGrads {
		const {value, ...grads} = this.gradients(weights, input, (w, x) => this.forward(w, x), outputGrad);
		return {...grads, output: value as tf.Tensor3D};
	}

	/** Tail only: the loss on the input ids and its gradients (IOTA calls loss.backward() on the tail). */
	/** The loss comes back as a scalar tensor: reading it synchronously fails on WebGPU in Node. */
	lossBackward(weights: tf.Tensor[], input: tf.Tensor, targets: Int32Array, opts: LossOptions = {}): StageGrads & {loss: tf.Scalar} {
		if (this.split.kind !== 'tail') throw new Error('only the tail computes the loss');
		let output: tf.Tensor3D | undefined;
		const {value, ...grads} = this.gradients(weights, input, (w, x) => shiftedCrossEntropy(output = tf.keep(this.forward(w, x)), targets, opts));
		return {...grads, output: output!, loss: value as tf.Scalar};
	}

	private gradients(weights: tf.Tensor[], input: tf.Tensor, f: (w: tf.Tensor[], x: tf.Tensor) => tf.Tensor, dy?: tf.Tensor) {
		const used = weights.map((_, i) => i).filter(i => this.isUsed(i));
		const withInput = this.split.kind !== 'head';
		const xs = [...(withInput ? [input] : []), ...used.map(i => weights[i]!)];
		const {value, grads} = tf.valueAndGrads((...args: tf.Tensor[]) => {
			const w = weights.slice();
			used.forEach((i, k) => { w[i] = args[k + (withInput ? 1 : 0)]!; });
			return f(w, withInput ? args[0]! : input);
		})(xs, dy);
		const weightGrads: Array<tf.Tensor | null> = weights.map(() => null);
		used.forEach((i, k) => { weightGrads[i] = grads[k + (withInput ? 1 : 0)]!; });
		return {value, inputGrad: withInput ? grads[0]! : null, weightGrads};
	}

	/** Rope tables and causal mask per sequence length, kept across calls. */
	private tablesFor(t: number) {
		let e = this.tables.get(t);
		if (!e) {
			e = tf.tidy(() => ({...ropeTables(this.cfg, t), mask: causalMask(t)}));
			for (const x of Object.values(e)) tf.keep(x);
			this.tables.set(t, e);
		}
		return e;
	}

	dispose(): void {
		for (const e of this.tables.values()) for (const x of Object.values(e)) x.dispose();
		this.tables.clear();
	}
}
