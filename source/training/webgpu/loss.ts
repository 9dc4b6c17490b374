// Fused softmax cross-entropy over the vocabulary: per-row loss in one dispatch (plus TF.js's sum), its gradient in one.
import * as tf from '@tensorflow/tfjs';
import {reduceSnippet, runFused, type ProgramSpec} from './program.js';

const WG = 256;

/** Row max and sum of exp(z - max) of row `row` (a whole-workgroup reduction; every lane gets both). */
const rowStats = `${reduceSnippet(WG)}
fn rowStats(lane: i32, ok: bool, base: i32) -> vec2<f32> {
  var m = -3.402823e+38;
  if (ok) { for (var c = lane; c < uniforms.cols; c += ${WG}) { m = max(m, Z[base + c]); } }
  let mx = workgroupMax(lane, m);
  var s = 0.0;
  if (ok) { for (var c = lane; c < uniforms.cols; c += ${WG}) { s += exp(Z[base + c] - mx); } }
  return vec2<f32>(mx, workgroupSum(lane, vec2<f32>(s, 0.0)).x);
}`;

const header = `
  let lane = index % ${WG};
  let row = index / ${WG};
  let ok = row < uniforms.rows;
  let base = row * uniforms.cols;
  var label = -1;
  if (ok) { label = L[row]; }
  let st = rowStats(lane, ok, base);`;

/** (logsumexp(z) - z[label]) * scale; 0 for a row without a target (label -1). */
const forwardCode = `${rowStats}
fn main(index: i32) {${header}
  if (ok && lane == 0) {
    var v = 0.0;
    if (label >= 0) { v = (st.x + log(st.y) - Z[base + label]) * uniforms.scale; }
    result[row] = v;
  }
}`;

/** (softmax(z) - onehot(label)) * scale * dy; rows without a target get 0. */
const gradCode = `${rowStats}
fn main(index: i32) {${header}
  if (ok) {
    let k = uniforms.scale * DY[0];
    for (var c = lane; c < uniforms.cols; c += ${WG}) {
      var g = 0.0;
      if (label >= 0) { g = (exp(Z[base + c] - st.x) / st.y - select(0.0, 1.0, c == label)) * k; }
      result[base + c] = g;
    }
  }
}`;

function spec(grad: boolean, z: tf.TensorInfo, scale: number): ProgramSpec {
	const [rows, cols] = z.shape as [number, number];
	return {
		key: `xent_${grad ? 'grad' : 'fwd'}_${WG}`, inputs: grad ? ['Z', 'L', 'DY'] : ['Z', 'L'], code: grad ? gradCode : forwardCode,
		workgroup: WG, outputShape: grad ? [rows, cols] : [rows], threads: rows * WG, uniforms: 'rows : i32, cols : i32, scale : f32,',
		uniformData: [{type: 'int32', data: [rows]}, {type: 'int32', data: [cols]}, {type: 'float32', data: [scale]}],
	};
}

/**
 * sum over rows of z [rows, v] of (logsumexp - z[label]) * scale, where labels[row] = -1 leaves a row out
 * (its gradient is 0). The forward is two dispatches (row losses, their sum); the gradient one.
 */
export function fusedCrossEntropy(z: tf.Tensor2D, labels: Int32Array, scale: number): tf.Scalar {
	const f = tf.customGrad(((zi: tf.Tensor, save: tf.GradSaveFunc) => {
		const l = tf.tensor1d(labels, 'int32');
		save([zi, l]);
		const perRow = runFused('XentRows', (ins, a) => spec(false, ins[0]!, a.scale as number), [zi, l], {scale});
		return {
			value: tf.sum(perRow),
			gradFunc: (dy: tf.Tensor, [zs, ls]: tf.Tensor[]) =>
				runFused('XentGrad', (ins, a) => spec(true, ins[0]!, a.scale as number), [zs!, ls!, tf.reshape(dy, [1])], {scale}),
		};
	}) as any);
	return f(z) as tf.Scalar;
}
