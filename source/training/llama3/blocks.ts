// IOTA's transformer blocks on [b*t, channels] activations: GQA attention with RoPE, SwiGLU feed-forward,
// the bottleneck block (fc4) and the bottleneck decoder with its partial residuals.
import * as tf from '@tensorflow/tfjs';
import {bmm, constant, rmsNorm, rope, silu} from '../ops.js';
import {fusedAttention, MAX_HEAD_DIM} from '../webgpu/attention.js';
import {fusedHeadsPV, fusedMatMul} from '../webgpu/matmul.js';
import {useFused, useFusedAttention, useFusedMatMul} from '../webgpu/program.js';
import {fusedAddColumns} from '../webgpu/residual.js';
import {fusedRopeHeads} from '../webgpu/rope.js';
import {fusedCausalSoftmax} from '../webgpu/softmax.js';
import {fusedSwiglu} from '../webgpu/swiglu.js';
import type {LlamaConfig} from './config.js';
import {linear} from './linear.js';
import type {BlockLayout} from './params.js';

export const NORM_EPS = 1e-5;

/** Per-call shapes and tables: batch, sequence, rope cos/sin [t, hd/2] and the additive causal mask [t, t]. */
export type BlockContext = {cfg: LlamaConfig; b: number; t: number; cos: tf.Tensor2D; sin: tf.Tensor2D; mask: tf.Tensor2D};
/** Looks a weight up by its name inside the block (e.g. 'att.W_key.weight'). */
export type BlockWeights = (name: string) => tf.Tensor;

/** [b*t, n*hd] -> [b, n, t, hd]. */
function splitHeads(y: tf.Tensor, ctx: BlockContext, n: number): tf.Tensor4D {
	const hd = ctx.cfg.emb_dim / ctx.cfg.n_heads;
	return tf.transpose(tf.reshape(y, [ctx.b, ctx.t, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** repeat_interleave over heads: kv group g serves query heads g*rep .. g*rep+rep-1. */
function repeatKv(y: tf.Tensor4D, ctx: BlockContext): tf.Tensor4D {
	const {n_heads: h, n_kv_groups: kv} = ctx.cfg;
	if (h === kv) return y;
	const [b, , t, hd] = y.shape;
	return tf.reshape(tf.tile(tf.reshape(y, [b * kv, 1, t * hd]), [1, h / kv, 1]), [b, h, t, hd]) as tf.Tensor4D;
}

/** Heads [b, n, t, hd] of y [b*t, n*hd], RoPE-rotated (one fused kernel on webgpu). */
function ropeHeads(y: tf.Tensor2D, ctx: BlockContext, n: number): tf.Tensor4D {
	if (useFused()) return fusedRopeHeads(y, ctx.b, ctx.t, n, ctx.cos, ctx.sin);
	return rope(splitHeads(y, ctx, n), ctx.cos, ctx.sin);
}

/** softmax(s / sqrt(hd) + causal mask) over [b*h, t, t] scores. */
function causalSoftmax(s: tf.Tensor3D, hd: number, ctx: BlockContext): tf.Tensor {
	if (useFused()) return fusedCausalSoftmax(s, 1 / Math.sqrt(hd));
	return tf.softmax(tf.add(tf.mul(s, constant(1 / Math.sqrt(hd))), ctx.mask));
}

/** Attention output [b*t, h*hd] (heads merged) of q, k [b, n, t, hd] and v [b*t, kv*hd] (TF.js ops: K and V repeated). */
function stockHeads(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor2D, ctx: BlockContext): tf.Tensor2D {
	const {b, t} = ctx;
	const [h, hd] = [q.shape[1], q.shape[3]];
	const kT = tf.transpose(tf.reshape(repeatKv(k, ctx), [b * h, t, hd]), [0, 2, 1]);
	const scores = bmm(tf.reshape(q, [b * h, t, hd]), kT);
	const o = bmm(causalSoftmax(scores, hd, ctx), tf.reshape(repeatKv(splitHeads(v, ctx, ctx.cfg.n_kv_groups), ctx), [b * h, t, hd]));
	return tf.reshape(tf.transpose(tf.reshape(o, [b, h, t, hd]), [0, 2, 1, 3]), [b * t, h * hd]);
}

/**
 * The same on webgpu: one fused attention kernel; or the tiled matmul reading K transposed, sharing each K/V head among
 * its query heads and reading/writing heads in place, around the fused softmax.
 */
function fusedHeads(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor2D, ctx: BlockContext): tf.Tensor2D {
	const {b, t} = ctx;
	const [h, kv, hd] = [q.shape[1], k.shape[1], q.shape[3]];
	if (useFusedAttention() && hd <= MAX_HEAD_DIM) return fusedAttention(q, k, v, 1 / Math.sqrt(hd));
	const scores = fusedMatMul(tf.reshape(q, [b * h, t, hd]), tf.reshape(k, [b * kv, t, hd]), false, true, h / kv) as tf.Tensor3D;
	return fusedHeadsPV(causalSoftmax(scores, hd, ctx) as tf.Tensor3D, v, b, h, kv);
}

export function attention(x: tf.Tensor2D, w: BlockWeights, ctx: BlockContext): tf.Tensor2D {
	const {n_heads: h, n_kv_groups: kv} = ctx.cfg;
	const q = ropeHeads(linear(x, w('att.W_query.weight')), ctx, h);
	const k = ropeHeads(linear(x, w('att.W_key.weight')), ctx, kv);
	const v = linear(x, w('att.W_value.weight'));
	return linear((useFusedMatMul() ? fusedHeads : stockHeads)(q, k, v, ctx), w('att.out_proj.weight'));
}

/** fc3(silu(fc1 x) * fc2 x): [b*t, emb]. */
function swiglu(x: tf.Tensor2D, w: BlockWeights): tf.Tensor2D {
	const [a, g] = [linear(x, w('ff.fc1.weight')), linear(x, w('ff.fc2.weight'))];
	return linear(useFused() ? fusedSwiglu(a, g) : tf.mul(silu(a), g), w('ff.fc3.weight'));
}

/** Adds the residual to the first columns of y only (a bottleneck_dim residual onto emb_dim channels). */
function addToFirstColumns(y: tf.Tensor2D, residual: tf.Tensor2D): tf.Tensor2D {
	const [n, width] = y.shape;
	const r = residual.shape[1];
	if (r === width) return tf.add(y, residual) as tf.Tensor2D;
	if (useFused()) return fusedAddColumns(y, residual);
	return tf.concat([tf.add(tf.slice(y, [0, 0], [n, r]), residual), tf.slice(y, [0, r], [n, width - r])], 1) as tf.Tensor2D;
}

/**
 * One block. The input has bottleneck_dim channels exactly when `layout.decoderUsed`: it is decoded
 * (Linear + ReLU) to emb_dim and the attention residual adds the raw input to the first channels only.
 * A bottleneck block returns fc4(silu(ff)) + the first bottleneck_dim channels: [b*t, bottleneck_dim].
 */
export function block(x: tf.Tensor2D, w: BlockWeights, layout: BlockLayout, ctx: BlockContext): tf.Tensor2D {
	const decoded = layout.decoderUsed ? tf.relu(linear(x, w('bottleneck_decoder.bottleneck_decoder.0.weight'))) as tf.Tensor2D : x;
	const h = addToFirstColumns(attention(rmsNorm(decoded, w('norm1.weight'), NORM_EPS), w, ctx), x);
	const ff = swiglu(rmsNorm(h, w('norm2.weight'), NORM_EPS), w);
	if (!layout.bottleneck) return tf.add(h, ff) as tf.Tensor2D;
	const bd = ctx.cfg.bottleneck_dim;
	const out = linear(silu(ff), w('ff.fc4.weight'));
	if (useFused()) return fusedAddColumns(out, h);
	return tf.add(out, tf.slice(h, [0, 0], [h.shape[0], bd])) as tf.Tensor2D;
}
