// PyTorch's nn.Linear without bias on a [n, in] input with the weight stored [out, in], with a hand-written gradient.
import * as tf from '@tensorflow/tfjs';

const T = (x: tf.Tensor) => tf.transpose(x) as tf.Tensor2D;

/**
 * y = x W^T. Products use explicit transposes rather than matMul's transpose flags, as ../ops.ts does,
 * because transposed products are far slower on wasm. dx = dy W, dW = dy^T x (already [out, in]).
 */
export const linear = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
	save([x, w]);
	return {
		value: tf.matMul(x as tf.Tensor2D, T(w)),
		gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [
			tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D),
			tf.matMul(T(dy), xs as tf.Tensor2D),
		],
	};
}) as any) as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor2D;
