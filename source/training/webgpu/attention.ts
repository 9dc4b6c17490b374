// Fused causal GQA attention: softmax(q k^T * scale) v in one dispatch, the gradient in four; no [t, t] tensors.
import * as tf from '@tensorflow/tfjs';
import {reduceSnippet, runFused, type ProgramSpec} from './program.js';

const WG = 64;
/** rows: b*h*t query rows. q [b, h, t, hd] and k [b, kv, t, hd] dense; v [b*t, kv*hd], o and do [b*t, h*hd]. */
const uniforms = 'rows : i32, t : i32, h : i32, kv : i32, hd : i32, scale : f32,';

const header = `${reduceSnippet(WG)}
var<workgroup> chunk: array<f32, ${WG}>;
fn qAt(bh: i32, i: i32) -> i32 { return (bh * uniforms.t + i) * uniforms.hd; }
fn kAt(kvb: i32, j: i32) -> i32 { return (kvb * uniforms.t + j) * uniforms.hd; }
fn vAt(kvb: i32, j: i32) -> i32 { return ((kvb / uniforms.kv) * uniforms.t + j) * uniforms.kv * uniforms.hd + (kvb % uniforms.kv) * uniforms.hd; }
fn oAt(bh: i32, i: i32) -> i32 { return ((bh / uniforms.h) * uniforms.t + i) * uniforms.h * uniforms.hd + (bh % uniforms.h) * uniforms.hd; }
fn kvOf(bh: i32) -> i32 { return (bh / uniforms.h) * uniforms.kv + (bh % uniforms.h) / (uniforms.h / uniforms.kv); }
fn score(qb: i32, kb: i32) -> f32 {
  var s = 0.0;
  for (var d = 0; d < uniforms.hd; d++) { s += Q[qb + d] * K[kb + d]; }
  return s * uniforms.scale;
}`;
const dotDV = `
fn dotDV(ob: i32, vb: i32) -> f32 {
  var s = 0.0;
  for (var d = 0; d < uniforms.hd; d++) { s += DO[ob + d] * V[vb + d]; }
  return s;
}`;

/** Query-row kernels: one workgroup per (b*h, i); row max and sum of exp recomputed from the scores. */
const queryRow = `
  let lane = index % ${WG};
  let row = index / ${WG};
  let ok = row < uniforms.rows;
  let bh = row / uniforms.t;
  let i = row % uniforms.t;
  let kvb = kvOf(bh);
  let qb = qAt(bh, i);
  let ob = oAt(bh, i);`;
const rowStats = `
  var m = -3.402823e+38;
  if (ok) { for (var j = lane; j <= i; j += ${WG}) { m = max(m, score(qb, kAt(kvb, j))); } }
  let mx = workgroupMax(lane, m);
  var l = 0.0;
  if (ok) { for (var j = lane; j <= i; j += ${WG}) { l += exp(score(qb, kAt(kvb, j)) - mx); } }`;

/**
 * Walks a row's partners in chunks of WG: `weight` (per lane's partner p, 0 when masked) goes to shared memory,
 * then lanes as channels d, d + WG add weight * SRC[at(p) + d]. Barriers stay in uniform control flow.
 */
const accumulate = (weight: string, src: string, at: string, partner: (x: string) => string) => `
  var acc0 = 0.0;
  var acc1 = 0.0;
  for (var c0 = 0; c0 < uniforms.t; c0 += ${WG}) {
    let p = c0 + lane;
    var w = 0.0;
    if (ok && ${partner('p')}) { ${weight} }
    chunk[lane] = w;
    workgroupBarrier();
    if (ok) {
      for (var cc = 0; cc < ${WG} && c0 + cc < uniforms.t; cc++) {
        if (${partner('(c0 + cc)')}) {
          let base = ${at.replaceAll('@', '(c0 + cc)')};
          if (lane < uniforms.hd) { acc0 += chunk[cc] * ${src}[base + lane]; }
          if (lane + ${WG} < uniforms.hd) { acc1 += chunk[cc] * ${src}[base + lane + ${WG}]; }
        }
      }
    }
    workgroupBarrier();
  }`;
const store = (at: string) => `
  if (ok && lane < uniforms.hd) { result[${at} + lane] = acc0; }
  if (ok && lane + ${WG} < uniforms.hd) { result[${at} + lane + ${WG}] = acc1; }`;

/** o_i = sum_j p_ij v_j, written into the merged-heads layout. */
const forwardCode = `${header}
fn main(index: i32) {${queryRow}${rowStats}
  let total = workgroupSum(lane, vec2<f32>(l, 0.0)).x;${accumulate('w = exp(score(qb, kAt(kvb, p)) - mx) / total;', 'V', 'vAt(kvb, @)', x => `${x} <= i`)}${store('ob')}
}`;

/** Per query row: lse = max + log(sum exp) and D = do . o (softmax's backward dot). Output [2, rows]. */
const statsCode = `${header}
fn main(index: i32) {${queryRow}${rowStats}
  var dd = 0.0;
  if (ok) { for (var d = lane; d < uniforms.hd; d += ${WG}) { dd += DO[ob + d] * O[ob + d]; } }
  let sums = workgroupSum(lane, vec2<f32>(l, dd));
  if (ok && lane == 0) { result[row] = mx + log(sums.x); result[uniforms.rows + row] = sums.y; }
}`;

/** dq_i = sum_j ds_ij k_j, ds = p (dp - D) scale, dp = do_i . v_j. */
const dqCode = `${header}${dotDV}
fn main(index: i32) {${queryRow}
  var lse = 0.0;
  var dD = 0.0;
  if (ok) { lse = ST[row]; dD = ST[uniforms.rows + row]; }${accumulate('w = exp(score(qb, kAt(kvb, p)) - lse) * (dotDV(ob, vAt(kvb, p)) - dD) * uniforms.scale;', 'K', 'kAt(kvb, @)', x => `${x} <= i`)}${store('qb')}
}`;

/** Key-row kernels: one workgroup per (b*kv, j), summing over the kv head's query heads and queries i >= j. */
const keyRow = (dk: boolean) => `${header}${dk ? dotDV : ''}
fn main(index: i32) {
  let lane = index % ${WG};
  let row = index / ${WG};
  let ok = row < uniforms.rows / uniforms.h * uniforms.kv;
  let kvb = row / uniforms.t;
  let j = row % uniforms.t;
  let kb = kAt(kvb, j);
  let vb = vAt(kvb, j);
  var out0 = 0.0;
  var out1 = 0.0;
  let rep = uniforms.h / uniforms.kv;
  for (var r = 0; r < rep; r++) {
    let bh = (kvb / uniforms.kv) * uniforms.h + (kvb % uniforms.kv) * rep + r;
    let st = bh * uniforms.t;${accumulate(`let pr = exp(score(qAt(bh, p), kb) - ST[st + p]);
      w = ${dk ? 'pr * (dotDV(oAt(bh, p), vb) - ST[uniforms.rows + st + p]) * uniforms.scale' : 'pr'};`, dk ? 'Q' : 'DO', dk ? 'qAt(bh, @)' : 'oAt(bh, @)', x => `${x} >= j && ${x} < uniforms.t`)}
    out0 += acc0;
    out1 += acc1;
  }
  if (ok && lane < uniforms.hd) { result[${dk ? 'kb' : 'vb'} + lane] = out0; }
  if (ok && lane + ${WG} < uniforms.hd) { result[${dk ? 'kb' : 'vb'} + lane + ${WG}] = out1; }
}`;

type Kind = 'fwd' | 'stats' | 'dq' | 'dk' | 'dv';
type Dims = {b: number; t: number; h: number; kv: number; hd: number; scale: number};
const kinds: Record<Kind, {inputs: string[]; code: string}> = {
	fwd: {inputs: ['Q', 'K', 'V'], code: forwardCode},
	stats: {inputs: ['Q', 'K', 'DO', 'O'], code: statsCode},
	dq: {inputs: ['Q', 'K', 'V', 'DO', 'ST'], code: dqCode},
	dk: {inputs: ['Q', 'K', 'V', 'DO', 'ST'], code: keyRow(true)},
	dv: {inputs: ['Q', 'K', 'DO', 'ST'], code: keyRow(false)},
};

function spec(kind: Kind, {b, t, h, kv, hd, scale}: Dims): ProgramSpec {
	const rows = b * h * t;
	const shape = {fwd: [b * t, h * hd], stats: [2 * rows], dq: [b, h, t, hd], dk: [b, kv, t, hd], dv: [b * t, kv * hd]}[kind];
	return {
		key: `attention_${kind}`, ...kinds[kind], workgroup: WG, outputShape: shape, uniforms,
		threads: (kind === 'dk' || kind === 'dv' ? b * kv * t : rows) * WG,
		uniformData: [...[rows, t, h, kv, hd].map(v => ({type: 'int32' as const, data: [v]})), {type: 'float32', data: [scale]}],
	};
}

/** Largest head size the kernels take (two channels per lane). */
export const MAX_HEAD_DIM = 2 * WG;

/**
 * Causal attention of q [b, h, t, hd], k [b, kv, t, hd] (each kv head serving h/kv query heads) and v [b*t, kv*hd]
 * (the value projection as it comes), scores scaled by `scale`: [b*t, h*hd] with the heads merged.
 */
export function fusedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor2D, scale: number): tf.Tensor2D {
	const [b, h, t, hd] = q.shape;
	const dims: Dims = {b, t, h, kv: k.shape[1], hd, scale};
	if (hd > MAX_HEAD_DIM) throw new Error(`fused attention takes head size <= ${MAX_HEAD_DIM}, got ${hd}`);
	const run = (kind: Kind, ins: tf.Tensor[]) => runFused(`Attention${kind}`, (_, a) => spec(kind, a as unknown as Dims), ins, dims);
	const f = tf.customGrad(((qs: tf.Tensor, ks: tf.Tensor, vs: tf.Tensor, save: tf.GradSaveFunc) => {
		const o = run('fwd', [qs, ks, vs]);
		save([qs, ks, vs, o]);
		return {
			value: o,
			gradFunc: (dy: tf.Tensor, [qq, kk, vv, oo]: tf.Tensor[]) => {
				const st = run('stats', [qq!, kk!, dy, oo!]);
				return [run('dq', [qq!, kk!, vv!, dy, st]), run('dk', [qq!, kk!, vv!, dy, st]), run('dv', [qq!, kk!, dy, st])];
			},
		};
	}) as any);
	return f(q, k, v) as tf.Tensor2D;
}
