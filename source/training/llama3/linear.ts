// PyTorch's nn.Linear without bias on a [n, in] input with the weight stored [out, in], with a hand-written
// gradient, and nn.Embedding's lookup with a scatter-add gradient.
import * as tf from '@tensorflow/tfjs';
import {fusedMatMul} from '../webgpu/matmul.js';
import {useFusedMatMul} from '../webgpu/program.js';

const T = (x: tf.Tensor) => tf.transpose(x) as tf.Tensor2D;

/**
 * Whether to use matMul's transpose flags. On the plain JS cpu backend transposing a 128,256 x 512 output
 * head costs more than the product; on wasm transposed products are far slower (see ../ops.ts), so there the
 * weight is transposed explicitly.
 */
const flags = () => tf.getBackend() === 'cpu';

/**
 * wasm runs a 2-D product through XNNPACK, which first packs the second operand, transposing it (as TF.js
 * stores it [in, out]) with strided reads: ~5x the product's own time for a fresh 2048 x 8192 weight, plus the
 * explicit transpose. When the rows are few (the 1B block: 128 rows, 2048 x 8192 weights), y = (W x^T)^T packs
 * only x^T and streams W as it is stored, and the transposes touch rows * (in + out) elements, not in * out.
 */
const weightFirst = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.getBackend() === 'wasm' && x.shape[0] * (w.shape[0] + w.shape[1]) < w.shape[0] * w.shape[1];

/** y = x W^T; dx = dy W, dW = dy^T x (already [out, in]). */
const stockLinear = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
	save([x, w]);
	const x2 = x as tf.Tensor2D, w2 = w as tf.Tensor2D;
	return {
		value: flags() ? tf.matMul(x2, w2, false, true) : weightFirst(x2, w2) ? T(tf.matMul(w2, T(x2))) : tf.matMul(x2, T(w2)),
		gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [
			tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D),
			flags() ? tf.matMul(dy as tf.Tensor2D, xs as tf.Tensor2D, true, false) : tf.matMul(T(dy), xs as tf.Tensor2D),
		],
	};
}) as any) as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor2D;

/** y = x W^T; on webgpu one tiled product that reads W transposed in place, and so do its gradients. */
export const linear = (x: tf.Tensor, w: tf.Tensor): tf.Tensor2D => (useFusedMatMul() ? fusedMatMul(x, w, false, true) as tf.Tensor2D : stockLinear(x, w));

/**
 * Rows of table [V, E] for ids [n]. The gradient scatter-adds dy's rows (repeated ids sum): linear in V*E,
 * where the cpu backend's UnsortedSegmentSum takes minutes for a 128,256-row table.
 */
export function embedding(table: tf.Tensor, ids: tf.Tensor1D): tf.Tensor2D {
	const f = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
		const where = tf.reshape(ids, [ids.shape[0], 1]);
		save([where]);
		return {
			value: tf.gather(t, ids),
			gradFunc: (dy: tf.Tensor, [w]: tf.Tensor[]) => tf.scatterND(w!, dy, t.shape),
		};
	}) as any);
	return f(table) as tf.Tensor2D;
}
