// Fused sum of squares over many tensors (the gradient norm): one dispatch per group of up to 7 tensors, then one sum.
import * as tf from '@tensorflow/tfjs';
import {reduceSnippet, runFused, type ProgramSpec} from './program.js';

const WG = 256;
const CHUNK = WG * 16;

/** Workgroups [w_j, w_j + ceil(n_j / CHUNK)) square-sum chunks of input j; each writes its partial sum. */
function code(count: number): string {
	const parts = Array.from({length: count}, (_, j) => `
  if (wg >= uniforms.w${j} && wg < uniforms.w${j} + (uniforms.n${j} + ${CHUNK - 1}) / ${CHUNK}) {
    let start = (wg - uniforms.w${j}) * ${CHUNK};
    for (var i = start + lane; i < min(start + ${CHUNK}, uniforms.n${j}); i += ${WG}) { acc += X${j}[i] * X${j}[i]; }
  }`).join('');
	return `${reduceSnippet(WG)}
fn main(index: i32) {
  let lane = index % ${WG};
  let wg = index / ${WG};
  var acc = 0.0;${parts}
  let total = workgroupSum(lane, vec2<f32>(acc, 0.0)).x;
  if (lane == 0 && wg < uniforms.total) { result[wg] = total; }
}`;
}

function spec(xs: tf.TensorInfo[]): ProgramSpec {
	const sizes = xs.map(x => x.shape.reduce((a, b) => a * b, 1));
	const starts: number[] = [];
	let total = 0;
	for (const n of sizes) { starts.push(total); total += Math.ceil(n / CHUNK); }
	return {
		key: `sumsq_${xs.length}`, inputs: xs.map((_, j) => `X${j}`), code: code(xs.length), workgroup: WG, outputShape: [total],
		threads: total * WG, uniforms: `total : i32, ${xs.map((_, j) => `n${j} : i32, w${j} : i32,`).join(' ')}`,
		uniformData: [total, ...sizes.flatMap((n, j) => [n, starts[j]!])].map(v => ({type: 'int32' as const, data: [v]})),
	};
}

/** sum over all tensors of sum(x^2), as a scalar; not differentiable (the gradient norm needs none). */
export function fusedSumSquares(xs: tf.Tensor[]): tf.Scalar {
	const limits = (tf.backend() as unknown as {device?: {limits?: {maxStorageBuffersPerShaderStage?: number}}}).device?.limits;
	const per = Math.max(1, Math.min(15, (limits?.maxStorageBuffersPerShaderStage ?? 8) - 1));
	return tf.tidy(() => {
		const partials: tf.Tensor[] = [];
		for (let i = 0; i < xs.length; i += per) {
			const group = xs.slice(i, i + per).map(x => tf.reshape(x, [-1]));
			partials.push(runFused(`SumSquares${group.length}`, ins => spec(ins), group));
		}
		return tf.sum(partials.length === 1 ? partials[0]! : tf.concat(partials));
	});
}
