// Llama-style decoder stages: RMSNorm, rotary embeddings, causal GQA attention, SwiGLU, no weight tying.
// GQA repeats kv heads with a rank-3 tile (tile's gradient only goes up to rank 4).
// A stage is a pure function of (params, input) so tf.grads can return input and parameter gradients together.
import * as tf from '@tensorflow/tfjs';
import {type ModelConfig, type ParamSpec, stageParams, stageSpec, type StageSpec} from './config.js';
import {bmm, causalMask, constant, crossEntropy, embed, mm, rmsNorm, rope, ropeTables, silu} from './ops.js';

/** Deterministic N(0, 0.02) init per parameter name, so stages and the whole model get identical weights. */
export function initParam(spec: ParamSpec, seed: number): Float32Array {
	const n = spec.shape.reduce((a, b) => a * b, 1);
	const out = new Float32Array(n);
	if (spec.init === 'ones') return out.fill(1);
	if (spec.init === 'zeros') return out;
	const rand = mulberry32(fnv1a(`${seed}:${spec.name}`));
	for (let i = 0; i < n; i += 2) {
		const r = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * 0.02;
		const a = 2 * Math.PI * rand();
		out[i] = r * Math.cos(a);
		if (i + 1 < n) out[i + 1] = r * Math.sin(a);
	}
	return out;
}

function fnv1a(s: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
	return h >>> 0;
}

function mulberry32(a: number): () => number {
	return () => {
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Constant tables (rope, mask) cached per sequence length; created once, kept out of tidy scopes. */
class Tables {
	private cache = new Map<number, {cos: tf.Tensor2D; sin: tf.Tensor2D; mask: tf.Tensor2D}>();
	constructor(private config: ModelConfig) {}
	get(t: number) {
		let e = this.cache.get(t);
		if (!e) {
			const hd = this.config.dModel / this.config.nHeads;
			e = tf.tidy(() => ({...ropeTables(t, hd, this.config.ropeTheta), mask: causalMask(t)}));
			for (const x of Object.values(e)) tf.keep(x);
			this.cache.set(t, e);
		}
		return e;
	}
	dispose() {
		for (const e of this.cache.values()) for (const x of Object.values(e)) x.dispose();
		this.cache.clear();
	}
}

export class StageModel {
	readonly spec: StageSpec;
	readonly params: ParamSpec[];
	private index: Map<string, number>;
	private tables: Tables;

	constructor(readonly config: ModelConfig, readonly stage: number) {
		this.spec = stageSpec(config, stage);
		this.params = stageParams(config, stage);
		this.index = new Map(this.params.map((p, i) => [p.name, i]));
		this.tables = new Tables(config);
	}

	dispose() { this.tables.dispose(); }

	/**
	 * Head: input int32 ids [b, t]. Others: float [b, t, bottleneck].
	 * Non-final stages return [b, t, bottleneck]; the final stage returns the mean shifted next-token loss (needs ids).
	 */
	apply(w: tf.Tensor[], input: tf.Tensor, ids?: tf.Tensor2D): tf.Tensor {
		const P = (name: string) => w[this.index.get(name)!]!;
		const [b, t] = input.shape as [number, number];
		const n = b * t;
		const c = this.config;
		let x: tf.Tensor2D = this.spec.embedding
			? embed(P('tok_emb'), tf.reshape(input, [n]) as tf.Tensor1D)
			: tf.reshape(input, [n, c.bottleneckDim]);
		const {cos, sin, mask} = this.tables.get(t);
		for (const blk of this.spec.blocks) {
			const pre = `blocks.${blk.index}`;
			if (blk.decoder) x = tf.relu(tf.add(mm(x, P(`${pre}.dec_w`)), P(`${pre}.dec_b`))) as tf.Tensor2D;
			const h = tf.add(x, this.attention(rmsNorm(x, P(`${pre}.attn_norm`), c.normEps), pre, P, b, t, cos, sin, mask)) as tf.Tensor2D;
			const hn = rmsNorm(h, P(`${pre}.ffn_norm`), c.normEps);
			const ff = mm(tf.mul(silu(mm(hn, P(`${pre}.w_gate`))), mm(hn, P(`${pre}.w_up`))), P(`${pre}.w_down`));
			x = blk.bottleneck
				? tf.add(tf.slice(h, [0, 0], [n, c.bottleneckDim]), mm(ff, P(`${pre}.fc4`)))
				: tf.add(h, ff);
		}
		if (!this.spec.head) return tf.reshape(x, [b, t, c.bottleneckDim]);
		if (!ids) throw new Error('final stage needs token ids for the loss');
		const hn = rmsNorm(x, P('final_norm'), c.normEps);
		const shifted = tf.reshape(tf.slice(tf.reshape(hn, [b, t, c.dModel]), [0, 0, 0], [b, t - 1, c.dModel]), [b * (t - 1), c.dModel]);
		const labels = tf.reshape(tf.slice(ids, [0, 1], [b, t - 1]), [b * (t - 1)]) as tf.Tensor1D;
		return crossEntropy(mm(shifted, P('out_head')), labels);
	}

	private attention(x: tf.Tensor2D, pre: string, P: (n: string) => tf.Tensor, b: number, t: number, cos: tf.Tensor2D, sin: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
		const {nHeads: h, nKvHeads: kvh, dModel: d} = this.config;
		const hd = d / h;
		const heads = (y: tf.Tensor, nh: number) => tf.transpose(tf.reshape(y, [b, t, nh, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
		const repeat = (y: tf.Tensor4D) => kvh === h ? y
			: tf.reshape(tf.tile(tf.reshape(y, [b * kvh, 1, t * hd]), [1, h / kvh, 1]), [b, h, t, hd]) as tf.Tensor4D;
		const q = rope(heads(mm(x, P(`${pre}.wq`)), h), cos, sin);
		const k = repeat(rope(heads(mm(x, P(`${pre}.wk`)), kvh), cos, sin));
		const v = repeat(heads(mm(x, P(`${pre}.wv`)), kvh));
		const q3 = tf.reshape(q, [b * h, t, hd]);
		const kT = tf.transpose(tf.reshape(k, [b * h, t, hd]), [0, 2, 1]);
		const scores = tf.add(tf.mul(bmm(q3, kT), constant(1 / Math.sqrt(hd))), mask);
		const o = bmm(tf.softmax(scores), tf.reshape(v, [b * h, t, hd]));
		const merged = tf.reshape(tf.transpose(tf.reshape(o, [b, h, t, hd]), [0, 2, 1, 3]), [b * t, h * hd]);
		return mm(merged, P(`${pre}.wo`));
	}
}
