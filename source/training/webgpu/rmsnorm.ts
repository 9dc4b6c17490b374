// Fused RMSNorm over the last axis: y = x * rsqrt(mean(x^2) + eps) * g in one dispatch; dx in one, dg in two.
import * as tf from '@tensorflow/tfjs';
import {reduceSnippet, ROW_WG, runFused, type ProgramSpec} from './program.js';

const WG = ROW_WG;
const uniforms = 'rows : i32, cols : i32, eps : f32,';
const rowHeader = `
  let lane = index % ${WG};
  let row = index / ${WG};
  let ok = row < uniforms.rows;
  let base = row * uniforms.cols;`;

/** One workgroup per row: the row's sum of squares, then y. */
const forwardCode = `${reduceSnippet(WG)}
fn main(index: i32) {${rowHeader}
  var ss = 0.0;
  if (ok) { for (var c = lane; c < uniforms.cols; c += ${WG}) { let v = X[base + c]; ss += v * v; } }
  let r = inverseSqrt(workgroupSum(lane, vec2<f32>(ss, 0.0)).x / f32(uniforms.cols) + uniforms.eps);
  if (ok) { for (var c = lane; c < uniforms.cols; c += ${WG}) { result[base + c] = X[base + c] * r * G[c]; } }
}`;

/** dx = r u - x r^3 mean(u x), u = dy g: both row sums in one reduction. */
const dxCode = `${reduceSnippet(WG)}
fn main(index: i32) {${rowHeader}
  var acc = vec2<f32>(0.0, 0.0);
  if (ok) {
    for (var c = lane; c < uniforms.cols; c += ${WG}) { let v = X[base + c]; acc += vec2<f32>(v * v, DY[base + c] * G[c] * v); }
  }
  let sums = workgroupSum(lane, acc);
  let r = inverseSqrt(sums.x / f32(uniforms.cols) + uniforms.eps);
  let k = r * r * r * (sums.y / f32(uniforms.cols));
  if (ok) { for (var c = lane; c < uniforms.cols; c += ${WG}) { result[base + c] = DY[base + c] * G[c] * r - X[base + c] * k; } }
}`;

/**
 * dg partial sums: workgroup w takes rows [64w, 64w + 64), finds their r (one row reduction each) and writes
 * sum over its rows of dy x r for every column into [cols, chunks]; TF.js sums the chunks (last axis, one program).
 * Each x row is read twice in all, whatever the width (a column-block kernel would reread it cols/64 times).
 */
const dgCode = `${reduceSnippet(WG)}
var<workgroup> rs: array<f32, 64>;
fn main(index: i32) {
  let lane = index % ${WG};
  let chunk = index / ${WG};
  let chunks = (uniforms.rows + 63) / 64;
  let row0 = chunk * 64;
  for (var rr = 0; rr < 64; rr++) {
    let base = (row0 + rr) * uniforms.cols;
    var ss = 0.0;
    if (row0 + rr < uniforms.rows) { for (var c = lane; c < uniforms.cols; c += ${WG}) { let v = X[base + c]; ss += v * v; } }
    let total = workgroupSum(lane, vec2<f32>(ss, 0.0)).x;
    if (lane == 0) { rs[rr] = inverseSqrt(total / f32(uniforms.cols) + uniforms.eps); }
  }
  workgroupBarrier();
  if (chunk < chunks) {
    for (var c = lane; c < uniforms.cols; c += ${WG}) {
      var acc = 0.0;
      for (var rr = 0; rr < 64 && row0 + rr < uniforms.rows; rr++) {
        let at = (row0 + rr) * uniforms.cols + c;
        acc += DY[at] * X[at] * rs[rr];
      }
      result[c * chunks + chunk] = acc;
    }
  }
}`;

function spec(kind: 'fwd' | 'dx' | 'dg', x: tf.TensorInfo, eps: number): ProgramSpec {
	const [rows, cols] = x.shape as [number, number];
	const code = {fwd: forwardCode, dx: dxCode, dg: dgCode}[kind];
	const inputs = {fwd: ['X', 'G'], dx: ['X', 'G', 'DY'], dg: ['X', 'DY']}[kind];
	return {
		key: `rmsnorm_${kind}_${WG}`, inputs, code, workgroup: WG, uniforms,
		outputShape: kind === 'dg' ? [cols, Math.ceil(rows / 64)] : [rows, cols],
		threads: kind === 'dg' ? Math.ceil(rows / 64) * WG : rows * WG,
		uniformData: [{type: 'int32', data: [rows]}, {type: 'int32', data: [cols]}, {type: 'float32', data: [eps]}],
	};
}

const sumChunks = (p: tf.Tensor) => (p.shape[1] === 1 ? tf.reshape(p, [p.shape[0]!]) : tf.sum(p, 1));

/** RMSNorm of x [rows, cols] with weight g [cols] on webgpu; the gradient takes three dispatches (dx, dg chunks, their sum). */
export function fusedRmsNorm(x: tf.Tensor2D, g: tf.Tensor, eps: number): tf.Tensor2D {
	const f = tf.customGrad(((xi: tf.Tensor, gi: tf.Tensor, save: tf.GradSaveFunc) => {
		save([xi, gi]);
		return {
			value: runFused('RmsNorm', (ins, a) => spec('fwd', ins[0]!, a.eps as number), [xi, gi], {eps}),
			gradFunc: (dy: tf.Tensor, [xs, gs]: tf.Tensor[]) => [
				runFused('RmsNormDx', (ins, a) => spec('dx', ins[0]!, a.eps as number), [xs!, gs!, dy], {eps}),
				sumChunks(runFused('RmsNormDg', (ins, a) => spec('dg', ins[0]!, a.eps as number), [xs!, dy], {eps})),
			],
		};
	}) as any);
	return f(x, g) as tf.Tensor2D;
}
