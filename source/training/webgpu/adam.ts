// Fused NAdam/AdamW step for one parameter: the new parameter, first and second moment, one dispatch each (no temporaries).
import * as tf from '@tensorflow/tfjs';
import {runFused, type ProgramSpec} from './program.js';

const WG = 128;
export type AdamKind = 'nadam' | 'adamw';
type Out = 'p' | 'm' | 'v';

/**
 * Coefficients as the TF.js paths use them. nadam: p (1 - lr wd) - g/d gradScale - m/d momentumScale, d = sqrt(v / bc2) + eps;
 * adamw: p (1 - lr wd) - m/d momentumScale (its step size), d = sqrt(v) / bc2 + eps with bc2 holding sqrt(1 - beta2^t).
 * g is the stored gradient times gradScaleIn (the clip scale over the micro-batch count).
 */
export type AdamCoefficients = {
	gradScaleIn: number; decay: number; beta1: number; beta2: number; eps: number;
	bc2: number; gradScale: number; momentumScale: number;
};
const names = ['gin', 'decay', 'beta1', 'beta2', 'eps', 'bc2', 'gscale', 'mscale'] as const;
const uniforms = `size : i32, ${names.map(n => `${n} : f32,`).join(' ')}`;

function code(kind: AdamKind, out: Out): string {
	const update = kind === 'nadam'
		? 'let d = sqrt(v / uniforms.bc2) + uniforms.eps;\n    let p = P[index] * uniforms.decay - (g / d) * uniforms.gscale - (m / d) * uniforms.mscale;'
		: 'let d = sqrt(v) / uniforms.bc2 + uniforms.eps;\n    let p = P[index] * uniforms.decay - (m / d) * uniforms.mscale;';
	return `
fn main(index: i32) {
  if (index < uniforms.size) {
    let g = G[index] * uniforms.gin;
    let m0 = M[index];
    let m = m0 + (g - m0) * (1.0 - uniforms.beta1);
    let v = V[index] * uniforms.beta2 + (g * g) * (1.0 - uniforms.beta2);
    ${out === 'p' ? update : ''}
    result[index] = ${out};
  }
}`;
}

function spec(kind: AdamKind, out: Out, p: tf.TensorInfo, c: AdamCoefficients): ProgramSpec {
	const size = p.shape.reduce((a, b) => a * b, 1);
	return {
		key: `${kind}_${out}`, inputs: out === 'p' ? ['P', 'G', 'M', 'V'] : ['G', 'M', 'V'], code: code(kind, out), workgroup: WG,
		outputShape: p.shape, threads: size, uniforms,
		uniformData: [{type: 'int32', data: [size]}, ...names.map((_, i) => ({type: 'float32' as const, data: [coefficientList(c)[i]!]}))],
	};
}

const coefficientList = (c: AdamCoefficients) => [c.gradScaleIn, c.decay, c.beta1, c.beta2, c.eps, c.bc2, c.gradScale, c.momentumScale];

/** The step's new [parameter, exp_avg, exp_avg_sq] (three dispatches; m and v are recomputed in the parameter's). */
export function fusedAdamUpdate(kind: AdamKind, p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, c: AdamCoefficients): [tf.Tensor, tf.Tensor, tf.Tensor] {
	const attrs = {kind, ...c};
	const make = (out: Out) => (ins: tf.TensorInfo[], a: Record<string, unknown>) => spec(a.kind as AdamKind, out, ins[0]!, a as unknown as AdamCoefficients);
	return [
		runFused(`Adam${kind}P`, make('p'), [p, g, m, v], attrs),
		runFused(`Adam${kind}M`, make('m'), [g, m, v], attrs),
		runFused(`Adam${kind}V`, make('v'), [g, m, v], attrs),
	];
}
