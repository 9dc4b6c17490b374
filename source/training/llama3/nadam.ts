// PyTorch's NAdam (torch >= 2.1, single-tensor path) with decoupled weight decay, on TF.js tensors.
import * as tf from '@tensorflow/tfjs';
import {fusedAdamUpdate} from '../webgpu/adam.js';
import {useFused} from '../webgpu/program.js';
import {updateByRows} from './chunked.js';

/** gradScale multiplies the gradient first; only the fused webgpu kernels take one other than 1 (the caller scales otherwise). */
export type AdamOptions = {lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; gradScale?: number};
export type NAdamOptions = AdamOptions & {momentumDecay: number};

/** Per-parameter state, as torch keeps it: step count, mu_product (an fp32 scalar), first and second moments. */
export type NAdamState = {step: number; muProduct: number; expAvg: tf.Tensor; expAvgSq: tf.Tensor};

const s = (x: number) => tf.scalar(x);

/** mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay)). */
export const nadamMu = (o: NAdamOptions, step: number) => o.beta1 * (1 - 0.5 * 0.96 ** (step * o.momentumDecay));

/**
 * One step of one parameter; returns the new parameter and updates `st` (its moments are replaced, the old
 * ones disposed). Order as torch: decay the weight, update moments, then
 * p -= lr (1 - mu) / (1 - prod mu) * g / d + lr mu_next / (1 - prod mu * mu_next) * m / d, d = sqrt(v / bc2) + eps.
 */
export function nadamStep(param: tf.Tensor, grad: tf.Tensor, st: NAdamState, o: NAdamOptions): tf.Tensor {
	st.step += 1;
	const mu = nadamMu(o, st.step);
	const muNext = nadamMu(o, st.step + 1);
	st.muProduct = Math.fround(st.muProduct * Math.fround(mu)); // torch keeps it as an fp32 tensor
	const bc2 = 1 - o.beta2 ** st.step;
	const gradScale = o.lr * (1 - mu) / (1 - st.muProduct);
	const momentumScale = o.lr * muNext / (1 - st.muProduct * muNext);
	if (useFused()) {
		const c = {gradScaleIn: o.gradScale ?? 1, decay: 1 - o.lr * o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps, bc2, gradScale, momentumScale};
		const [p, m, v] = fusedAdamUpdate('nadam', param, grad, st.expAvg, st.expAvgSq, c);
		tf.dispose([st.expAvg, st.expAvgSq]);
		[st.expAvg, st.expAvgSq] = [m, v];
		return p;
	}
	if ((o.gradScale ?? 1) !== 1) throw new Error('gradScale is for the fused webgpu step only');
	const [p, m, v] = updateByRows([param, grad, st.expAvg, st.expAvgSq], [st.expAvg, st.expAvgSq], ([param, grad, expAvg, expAvgSq]) => {
		const decayed = o.weightDecay !== 0 ? tf.mul(param!, s(1 - o.lr * o.weightDecay)) : param!;
		const m = tf.add(expAvg!, tf.mul(tf.sub(grad!, expAvg!), s(1 - o.beta1))); // lerp
		const v = tf.add(tf.mul(expAvgSq!, s(o.beta2)), tf.mul(tf.square(grad!), s(1 - o.beta2)));
		const denom = tf.add(tf.sqrt(tf.div(v, s(bc2))), s(o.eps));
		const gradPart = tf.mul(tf.div(grad!, denom), s(gradScale));
		const momentumPart = tf.mul(tf.div(m, denom), s(momentumScale));
		return [tf.sub(tf.sub(decayed, gradPart), momentumPart), m, v];
	});
	st.expAvg = m!;
	st.expAvgSq = v!;
	return p!;
}

export const newNAdamState = (param: tf.Tensor): NAdamState =>
	({step: 0, muProduct: 1, expAvg: tf.zerosLike(param), expAvgSq: tf.zerosLike(param)});
