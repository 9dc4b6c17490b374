// Fused causal attention softmax: softmax(s * scale + causal mask) in one dispatch, its gradient in one.
import * as tf from '@tensorflow/tfjs';
import {reduceSnippet, ROW_WG, runFused, type ProgramSpec} from './program.js';

const WG = ROW_WG;
const uniforms = 'rows : i32, cols : i32, scale : f32,';

/** Rows are (batch*head, query); a key after the query gets probability 0 (exp(-1e9 - max) is 0 in fp32 too). */
const forwardCode = `${reduceSnippet(WG)}
fn main(index: i32) {
  let lane = index % ${WG};
  let row = index / ${WG};
  let ok = row < uniforms.rows;
  let base = row * uniforms.cols;
  let last = row % uniforms.cols;
  var m = -3.402823e+38;
  if (ok) { for (var c = lane; c <= last; c += ${WG}) { m = max(m, S[base + c] * uniforms.scale); } }
  let mx = workgroupMax(lane, m);
  var s = 0.0;
  if (ok) { for (var c = lane; c <= last; c += ${WG}) { s += exp(S[base + c] * uniforms.scale - mx); } }
  let total = workgroupSum(lane, vec2<f32>(s, 0.0)).x;
  if (ok) {
    for (var c = lane; c < uniforms.cols; c += ${WG}) {
      result[base + c] = select(0.0, exp(S[base + c] * uniforms.scale - mx) / total, c <= last);
    }
  }
}`;

/** ds = scale * p * (dp - sum(dp * p)) over the row. */
const gradCode = `${reduceSnippet(WG)}
fn main(index: i32) {
  let lane = index % ${WG};
  let row = index / ${WG};
  let ok = row < uniforms.rows;
  let base = row * uniforms.cols;
  var d = 0.0;
  if (ok) { for (var c = lane; c < uniforms.cols; c += ${WG}) { d += DP[base + c] * P[base + c]; } }
  let dot = workgroupSum(lane, vec2<f32>(d, 0.0)).x;
  if (ok) {
    for (var c = lane; c < uniforms.cols; c += ${WG}) { result[base + c] = uniforms.scale * P[base + c] * (DP[base + c] - dot); }
  }
}`;

function spec(grad: boolean, x: tf.TensorInfo, scale: number): ProgramSpec {
	const [bh, t, t2] = x.shape as [number, number, number];
	if (t !== t2) throw new Error(`causal softmax needs square scores, got ${t}x${t2}`);
	return {
		key: `causal_softmax_${grad ? 'grad' : 'fwd'}_${WG}`, inputs: grad ? ['P', 'DP'] : ['S'], code: grad ? gradCode : forwardCode,
		workgroup: WG, outputShape: [bh, t, t], threads: bh * t * WG, uniforms,
		uniformData: [{type: 'int32', data: [bh * t]}, {type: 'int32', data: [t]}, {type: 'float32', data: [scale]}],
	};
}

/** softmax(scores * scale + causal mask) for scores [b*h, t, t] (blocks.ts attention with its additive mask). */
export function fusedCausalSoftmax(scores: tf.Tensor3D, scale: number): tf.Tensor3D {
	const f = tf.customGrad(((s: tf.Tensor, save: tf.GradSaveFunc) => {
		const p = runFused('CausalSoftmax', (ins, a) => spec(false, ins[0]!, a.scale as number), [s], {scale});
		save([p]);
		return {
			value: p,
			gradFunc: (dy: tf.Tensor, [ps]: tf.Tensor[]) => runFused('CausalSoftmaxGrad', (ins, a) => spec(true, ins[0]!, a.scale as number), [ps!, dy], {scale}),
		};
	}) as any);
	return f(scores) as tf.Tensor3D;
}
