// Fused SwiGLU silu(a) * b (and plain silu(a)): one dispatch forward, one per input gradient backward.
import * as tf from '@tensorflow/tfjs';
import {runFused, type ProgramSpec} from './program.js';

const WG = 128;
type Kind = 'fwd' | 'da' | 'db';

/** s = sigmoid(a) as TF.js computes it; silu' = s (1 + a (1 - s)). */
function code(kind: Kind, gated: boolean): string {
	const b = gated ? 'B[index]' : '1.0';
	const body = {
		fwd: `a * s * ${b}`,
		da: `DY[index] * ${b} * (s + a * s * (1.0 - s))`,
		db: 'DY[index] * (a * s)',
	}[kind];
	return `
fn main(index: i32) {
  if (index < uniforms.size) {
    let a = A[index];
    let s = 1.0 / (1.0 + exp(-a));
    result[index] = ${body};
  }
}`;
}

function spec(kind: Kind, gated: boolean, a: tf.TensorInfo): ProgramSpec {
	const n = a.shape.reduce((x, y) => x * y, 1);
	// A binding the code never reads drops out of the pipeline's layout, so db does not take b.
	const inputs = ['A', ...(gated && kind !== 'db' ? ['B'] : []), ...(kind === 'fwd' ? [] : ['DY'])];
	return {
		key: `swiglu_${kind}_${gated}`, inputs, code: code(kind, gated), workgroup: WG, outputShape: a.shape,
		threads: n, uniforms: 'size : i32,', uniformData: [{type: 'int32', data: [n]}],
	};
}

const run = (kind: Kind, gated: boolean, ins: tf.Tensor[]) =>
	runFused(`Swiglu${kind}${gated ? 'Gated' : ''}`, list => spec(kind, gated, list[0]!), ins);

/** silu(a) * b for a, b of one shape. */
export const fusedSwiglu = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
	save([a, b]);
	return {
		value: run('fwd', true, [a, b]),
		gradFunc: (dy: tf.Tensor, [as, bs]: tf.Tensor[]) => [run('da', true, [as!, bs!, dy]), run('db', true, [as!, dy])],
	};
}) as any) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** silu(a) = a sigmoid(a). */
export const fusedSilu = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
	save([a]);
	return {value: run('fwd', false, [a]), gradFunc: (dy: tf.Tensor, [as]: tf.Tensor[]) => run('da', false, [as!, dy])};
}) as any) as (a: tf.Tensor) => tf.Tensor;
