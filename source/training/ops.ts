// Building blocks of the Llama-3 stages (llama3/), with hand-written gradients where TF.js's stock ones are slow:
// - batched matMul: stock gradients use transposed products (10-30x slower on wasm, slower on WebGPU too),
//   so gradients here transpose explicitly and use plain products.
// - rmsNorm: a fused gradient, no CPU-born ones() tensors.
// On webgpu, bmm, rmsNorm and silu run as fused WGSL kernels (./webgpu/).
import * as tf from '@tensorflow/tfjs';
import {fusedMatMul} from './webgpu/matmul.js';
import {useFused, useFusedMatMul} from './webgpu/program.js';
import {fusedRmsNorm} from './webgpu/rmsnorm.js';
import {fusedSilu} from './webgpu/swiglu.js';

const bT = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1]);

/**
 * wasm runs every batched product (batch > 1) on one scalar loop whose speed does not depend on the transpose flags
 * (a [32, 128, 32] x [32, 32, 128] product: 9.7-11.4 ms CPU either way), so there the flags save the explicit
 * transposes; elsewhere transposed products are the slower ones.
 */
const batchedFlags = () => tf.getBackend() === 'wasm';

const stockBmm = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
	save([a, b]);
	return {
		value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
		gradFunc: (dy: tf.Tensor, [as, bs]: tf.Tensor[]) => batchedFlags() && as!.shape[0]! > 1
			? [tf.matMul(dy as tf.Tensor3D, bs as tf.Tensor3D, false, true), tf.matMul(as as tf.Tensor3D, dy as tf.Tensor3D, true, false)]
			: [tf.matMul(dy as tf.Tensor3D, bT(bs!) as tf.Tensor3D), tf.matMul(bT(as!) as tf.Tensor3D, dy as tf.Tensor3D)],
	};
}) as any) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor3D;

/** Batched [b, n, k] x [b, k, m] with transpose-free gradients (webgpu: the tiled kernel, no transposes at all). */
export const bmm = (a: tf.Tensor, b: tf.Tensor): tf.Tensor3D => (useFusedMatMul() ? fusedMatMul(a, b) as tf.Tensor3D : stockBmm(a, b));

// A JS number used as an operand becomes a new tensor uploaded on every call (a staging buffer per
// use on WebGPU); these constants are made once per backend and kept.
const constants = new Map<string, tf.Scalar>();
export function constant(value: number): tf.Scalar {
	const key = `${tf.getBackend()}:${value}`;
	let c = constants.get(key);
	if (!c || c.isDisposed) constants.set(key, (c = tf.keep(tf.scalar(value))));
	return c;
}

/**
 * x * rsqrt(mean(x^2) + eps) * g over the last axis, with a hand-written gradient: the stock one goes
 * through Mean's gradient, which builds ones(x.shape) on the CPU (an x-sized upload per call on a GPU).
 * dx = r*u - x*r^3*mean(u*x), u = dy*g;  dg = sum over rows of dy*x*r.
 */
export function rmsNorm(x: tf.Tensor2D, g: tf.Tensor, eps: number): tf.Tensor2D {
	if (useFused()) return fusedRmsNorm(x, g, eps);
	const f = tf.customGrad(((xi: tf.Tensor, gi: tf.Tensor, save: tf.GradSaveFunc) => {
		const r = tf.rsqrt(tf.add(tf.mean(tf.square(xi), -1, true), constant(eps)));
		save([xi, gi, r]);
		return {
			value: tf.mul(tf.mul(xi, r), gi),
			gradFunc: (dy: tf.Tensor, [xs, gs, rs]: tf.Tensor[]) => {
				const u = tf.mul(dy, gs!);
				const r3 = tf.mul(tf.square(rs!), rs!);
				const dx = tf.sub(tf.mul(u, rs!), tf.mul(tf.mul(xs!, r3), tf.mean(tf.mul(u, xs!), -1, true)));
				return [dx, tf.sum(tf.mul(tf.mul(dy, xs!), rs!), 0)];
			},
		};
	}) as any);
	return f(x, g) as tf.Tensor2D;
}

export const silu = (x: tf.Tensor) => (useFused() ? fusedSilu(x) : tf.mul(x, tf.sigmoid(x)));

/** x: [b, h, t, hd]. */
export function rope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
	const [b, h, t, hd] = x.shape;
	const half = hd / 2;
	const x1 = tf.slice(x, [0, 0, 0, 0], [b, h, t, half]);
	const x2 = tf.slice(x, [0, 0, 0, half], [b, h, t, half]);
	return tf.concat([tf.sub(tf.mul(x1, cos), tf.mul(x2, sin)), tf.add(tf.mul(x2, cos), tf.mul(x1, sin))], 3) as tf.Tensor4D;
}

/** Additive causal mask [t, t]: 0 on and below the diagonal, -1e9 above. */
export function causalMask(t: number): tf.Tensor2D {
	const m = new Float32Array(t * t);
	for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = -1e9;
	return tf.tensor2d(m, [t, t]);
}
