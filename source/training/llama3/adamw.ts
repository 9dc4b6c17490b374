// PyTorch's AdamW (single-tensor path) on TF.js tensors: IOTA's inner optimizer when its use_AdamW flag is on.
import * as tf from '@tensorflow/tfjs';
import {fusedAdamUpdate} from '../webgpu/adam.js';
import {useFused} from '../webgpu/program.js';
import {updateByRows} from './chunked.js';
import type {AdamOptions} from './nadam.js';

export type AdamWState = {step: number; expAvg: tf.Tensor; expAvgSq: tf.Tensor};

const s = (x: number) => tf.scalar(x);

/** p *= 1 - lr wd; p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps). Updates `st`, returns the new parameter. */
export function adamwStep(param: tf.Tensor, grad: tf.Tensor, st: AdamWState, o: AdamOptions): tf.Tensor {
	st.step += 1;
	const sqrtBc2 = Math.sqrt(1 - o.beta2 ** st.step);
	const stepSize = o.lr / (1 - o.beta1 ** st.step);
	if (useFused()) {
		const c = {gradScaleIn: o.gradScale ?? 1, decay: 1 - o.lr * o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps, bc2: sqrtBc2, gradScale: 0, momentumScale: stepSize};
		const [p, m, v] = fusedAdamUpdate('adamw', param, grad, st.expAvg, st.expAvgSq, c);
		tf.dispose([st.expAvg, st.expAvgSq]);
		[st.expAvg, st.expAvgSq] = [m, v];
		return p;
	}
	if ((o.gradScale ?? 1) !== 1) throw new Error('gradScale is for the fused webgpu step only');
	const [p, m, v] = updateByRows([param, grad, st.expAvg, st.expAvgSq], [st.expAvg, st.expAvgSq], ([param, grad, expAvg, expAvgSq]) => {
		const decayed = tf.mul(param!, s(1 - o.lr * o.weightDecay));
		const m = tf.add(expAvg!, tf.mul(tf.sub(grad!, expAvg!), s(1 - o.beta1))); // lerp
		const v = tf.add(tf.mul(expAvgSq!, s(o.beta2)), tf.mul(tf.square(grad!), s(1 - o.beta2)));
		const denom = tf.add(tf.div(tf.sqrt(v), s(sqrtBc2)), s(o.eps));
		return [tf.sub(decayed, tf.mul(tf.div(m, denom), s(stepSize))), m, v];
	});
	st.expAvg = m!;
	st.expAvgSq = v!;
	return p!;
}

export const newAdamWState = (param: tf.Tensor): AdamWState => ({step: 0, expAvg: tf.zerosLike(param), expAvgSq: tf.zerosLike(param)});
