// IOTA's training loss: next-token cross-entropy of logits [B, S, V] against the tokens shifted by one,
// mean over the B*(S-1) kept targets, in fp32.
import * as tf from '@tensorflow/tfjs';
import {fusedCrossEntropy} from '../webgpu/loss.js';
import {useFused} from '../webgpu/program.js';

export type LossOptions = {
	/**
	 * compute_loss(pack=False): a target equal to this id is ignored when the target before it is the same id
	 * (padding is EOS repeated; only the first EOS counts). Leave unset for packed samples (no masking).
	 */
	padTokenId?: number;
};

/** Shifted targets [B*(S-1)] and their weights (0 = ignored), as IOTA's compute_loss builds them. */
export function shiftedTargets(targets: Int32Array, b: number, s: number, opts: LossOptions = {}): {labels: Int32Array; keep: Float32Array} {
	const n = b * (s - 1);
	const labels = new Int32Array(n);
	const keep = new Float32Array(n).fill(1);
	for (let r = 0; r < b; r++) {
		for (let j = 0; j < s - 1; j++) {
			const label = targets[r * s + j + 1]!;
			const prev = targets[r * s + j]!;
			// pad_mask shifted right by one: position j is ignored when label j-1 (= token j) was a pad.
			const ignored = opts.padTokenId !== undefined && j > 0 && prev === opts.padTokenId;
			labels[r * (s - 1) + j] = ignored ? 0 : label;
			if (ignored) keep[r * (s - 1) + j] = 0;
		}
	}
	return {labels, keep};
}

/** Weighted mean cross-entropy of z [n, v]; gradient (softmax - onehot) * keep / kept. */
function weightedCrossEntropy(z: tf.Tensor2D, labels: Int32Array, keep: Float32Array): tf.Scalar {
	const [n, v] = z.shape;
	const kept = keep.reduce((a, x) => a + x, 0);
	const f = tf.customGrad(((logits: tf.Tensor, save: tf.GradSaveFunc) => {
		// Made inside and saved: tensors from outside are gone by the time tf.grads runs gradFunc.
		const scale = tf.tensor2d(keep.map(k => (kept > 0 ? k / kept : 0)), [n, 1]);
		// int32 one-hot, then cast: TF.js wasm's OneHot ignores a float32 dtype and writes int bits (1 reads as 1.4e-45).
		const onehot = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), v), 'float32');
		save([logits, scale, onehot]);
		const perRow = tf.sub(tf.logSumExp(logits, 1, true), tf.sum(tf.mul(logits, onehot), 1, true));
		return {
			value: tf.sum(tf.mul(perRow, scale)),
			gradFunc: (dy: tf.Tensor, [zs, sc, oh]: tf.Tensor[]) => tf.mul(tf.mul(tf.sub(tf.softmax(zs!), oh!), sc!), dy),
		};
	}) as any);
	return f(z) as tf.Scalar;
}

/** Per logits row [B*S]: its shifted label, or -1 where it is no target (a sequence's last position, an ignored pad). */
function rowLabels(labels: Int32Array, keep: Float32Array, b: number, s: number): Int32Array {
	const out = new Int32Array(b * s).fill(-1);
	for (let r = 0; r < b; r++) for (let j = 0; j < s - 1; j++) if (keep[r * (s - 1) + j]) out[r * s + j] = labels[r * (s - 1) + j]!;
	return out;
}

/** Loss of tail logits [B, S, V] against the input token ids [B, S] (row-major). */
export function shiftedCrossEntropy(logits: tf.Tensor3D, targets: Int32Array, opts: LossOptions = {}): tf.Scalar {
	const [b, s, v] = logits.shape;
	if (targets.length !== b * s) throw new Error(`targets hold ${targets.length} ids, logits ${b}x${s}`);
	const {labels, keep} = shiftedTargets(targets, b, s, opts);
	const kept = keep.reduce((a, x) => a + x, 0);
	if (useFused()) return fusedCrossEntropy(tf.reshape(logits, [b * s, v]) as tf.Tensor2D, rowLabels(labels, keep, b, s), kept > 0 ? 1 / kept : 0);
	const shifted = tf.reshape(tf.slice(logits, [0, 0, 0], [b, s - 1, v]), [b * (s - 1), v]) as tf.Tensor2D;
	return weightedCrossEntropy(shifted, labels, keep);
}
