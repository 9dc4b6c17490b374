// Fused head split + RoPE: [b*t, n*hd] -> rotated [b, n, t, hd] in one dispatch, and its gradient back in one.
import * as tf from '@tensorflow/tfjs';
import {runFused, type ProgramSpec} from './program.js';

const WG = 128;
const uniforms = 'size : i32, b : i32, t : i32, n : i32, half : i32,';

/** Where output element `index` of [b, n, t, hd] lives in the [b*t, n*hd] layout, and its pair's offset. */
const coords = `
fn ropeCoords(index: i32) -> vec4<i32> {
  let hd = 2 * uniforms.half;
  let k = index % hd;
  let ti = (index / hd) % uniforms.t;
  let hi = (index / (hd * uniforms.t)) % uniforms.n;
  let bi = index / (hd * uniforms.t * uniforms.n);
  let flat = (bi * uniforms.t + ti) * uniforms.n * hd + hi * hd;
  return vec4<i32>(flat, k, ti, 0);
}`;

/** Forward: out1 = x1 cos - x2 sin, out2 = x2 cos + x1 sin (half-split, as ops.ts rope()). */
const forwardCode = `${coords}
fn main(index: i32) {
  if (index < uniforms.size) {
    let p = ropeCoords(index);
    let j = p.y % uniforms.half;
    let c = COS[p.z * uniforms.half + j];
    let s = SIN[p.z * uniforms.half + j];
    let x1 = X[p.x + j];
    let x2 = X[p.x + j + uniforms.half];
    result[index] = select(x2 * c + x1 * s, x1 * c - x2 * s, p.y < uniforms.half);
  }
}`;

/** Backward, written in the [b*t, n*hd] layout: dx1 = dy1 cos + dy2 sin, dx2 = dy2 cos - dy1 sin. */
const backwardCode = `
fn main(index: i32) {
  if (index < uniforms.size) {
    let hd = 2 * uniforms.half;
    let col = index % (uniforms.n * hd);
    let rowi = index / (uniforms.n * hd);
    let bi = rowi / uniforms.t;
    let ti = rowi % uniforms.t;
    let hi = col / hd;
    let k = col % hd;
    let j = k % uniforms.half;
    let at = ((bi * uniforms.n + hi) * uniforms.t + ti) * hd;
    let c = COS[ti * uniforms.half + j];
    let s = SIN[ti * uniforms.half + j];
    let d1 = DY[at + j];
    let d2 = DY[at + j + uniforms.half];
    result[index] = select(d2 * c - d1 * s, d1 * c + d2 * s, k < uniforms.half);
  }
}`;

type Dims = {b: number; t: number; n: number; half: number};

function spec(grad: boolean, {b, t, n, half}: Dims): ProgramSpec {
	const shape = grad ? [b * t, n * 2 * half] : [b, n, t, 2 * half];
	const size = b * t * n * 2 * half;
	return {
		key: `rope_${grad ? 'grad' : 'fwd'}`, inputs: grad ? ['DY', 'COS', 'SIN'] : ['X', 'COS', 'SIN'], code: grad ? backwardCode : forwardCode,
		workgroup: WG, outputShape: shape, threads: size, uniforms,
		uniformData: [size, b, t, n, half].map(v => ({type: 'int32' as const, data: [v]})),
	};
}

/** y [b*t, n*hd] -> RoPE-rotated heads [b, n, t, hd], cos/sin [t, hd/2] (ops.ts rope(splitHeads(y))). */
export function fusedRopeHeads(y: tf.Tensor2D, b: number, t: number, n: number, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
	const dims: Dims = {b, t, n, half: cos.shape[1]};
	const f = tf.customGrad(((yi: tf.Tensor, save: tf.GradSaveFunc) => {
		const [c, s] = [tf.clone(cos), tf.clone(sin)];
		save([c, s]);
		return {
			value: runFused('RopeHeads', (_, a) => spec(false, a as Dims), [yi, c, s], dims),
			gradFunc: (dy: tf.Tensor, [cs, ss]: tf.Tensor[]) => runFused('RopeHeadsGrad', (_, a) => spec(true, a as Dims), [dy, cs!, ss!], dims),
		};
	}) as any);
	return f(y) as tf.Tensor4D;
}
