// Fused partial residuals: y + r on the columns both have (a concat of slices, or a slice then an add, in one dispatch).
import * as tf from '@tensorflow/tfjs';
import {runFused, type ProgramSpec} from './program.js';

const WG = 128;
const uniforms = 'size : i32, width : i32, rwidth : i32,';

/** out [n, width] = y + r[:, j] where j < rwidth (r is [n, rwidth], wider or narrower than y). */
const addCode = `
fn main(index: i32) {
  if (index < uniforms.size) {
    let i = index / uniforms.width;
    let j = index % uniforms.width;
    var v = Y[index];
    if (j < uniforms.rwidth) { v = v + R[i * uniforms.rwidth + j]; }
    result[index] = v;
  }
}`;

/** out [n, width] = dy [n, dwidth] cut or zero-padded to width columns (the gradient that reaches r). */
const fitCode = `
fn main(index: i32) {
  if (index < uniforms.size) {
    let i = index / uniforms.width;
    let j = index % uniforms.width;
    var v = 0.0;
    if (j < uniforms.rwidth) { v = DY[i * uniforms.rwidth + j]; }
    result[index] = v;
  }
}`;

function spec(fit: boolean, n: number, width: number, rwidth: number): ProgramSpec {
	return {
		key: fit ? 'fit_columns' : 'add_columns', inputs: fit ? ['DY'] : ['Y', 'R'], code: fit ? fitCode : addCode,
		workgroup: WG, outputShape: [n, width], threads: n * width, uniforms,
		uniformData: [n * width, width, rwidth].map(v => ({type: 'int32' as const, data: [v]})),
	};
}

const fitColumns = (dy: tf.Tensor, width: number) =>
	runFused('FitColumns', (ins, a) => spec(true, ins[0]!.shape[0]!, a.width as number, ins[0]!.shape[1]!), [dy], {width});

/** y [n, w] plus residual r [n, rw] on the first min(w, rw) columns; dy flows to y whole and to r cut or padded. */
export const fusedAddColumns = tf.customGrad(((y: tf.Tensor, r: tf.Tensor) => {
	const rw = r.shape[1]!;
	return {
		value: runFused('AddColumns', ins => spec(false, ins[0]!.shape[0]!, ins[0]!.shape[1]!, ins[1]!.shape[1]!), [y, r]),
		gradFunc: (dy: tf.Tensor) => [dy, fitColumns(dy, rw)],
	};
}) as any) as (y: tf.Tensor2D, r: tf.Tensor2D) => tf.Tensor2D;
