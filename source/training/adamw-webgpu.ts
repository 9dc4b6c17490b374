// AdamW on WebGPU in 3 dispatches per parameter (m, v, then the weight) instead of the ~12 that
// separate TF.js ops take. The GPU step is host-bound: every dispatch costs host time in Dawn
// (see ../shared/notes/gpu-webgpu-h100.md §6), so fewer, fused kernels are what speeds it up.
// Same arithmetic, in the same order, as the tf-ops AdamW in trainer.ts.
import * as tf from '@tensorflow/tfjs';

export type AdamWScalars = {gScale: number; b1: number; b2: number; decay: number; stepSize: number; sqrtBc2: number; eps: number};

const WORKGROUP = 128;

// A flat elementwise WebGPU program for TF.js's webgpu backend (the WebGPUProgram interface).
class Elementwise {
	readonly outputShape: number[];
	readonly dispatchLayout = {x: [0]};
	dispatch: [number, number, number];
	readonly workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
	readonly size = true;
	shaderKey: string;
	constructor(readonly variableNames: string[], readonly uniforms: string, private body: string, key: string, n: number) {
		this.outputShape = [n];
		this.dispatch = [Math.ceil(n / WORKGROUP), 1, 1];
		this.shaderKey = key;
	}
	getUserCode() {
		return `fn main(index : i32) {
			if (index < uniforms.size) {
				${this.body}
			}
		}`;
	}
}

// new moment = old * beta + x * (1 - beta), x = g or g*g, g = grad * gScale
const momentBody = (square: boolean) => `
	let g = G[index] * uniforms.gScale;
	setOutputAtIndex(index, S[index] * uniforms.beta + ${square ? 'g * g' : 'g'} * uniforms.oneMinusBeta);`;
const weightBody = `
	let denom = sqrt(V[index]) / uniforms.sqrtBc2 + uniforms.eps;
	setOutputAtIndex(index, P[index] * uniforms.decay - uniforms.stepSize * (M[index] / denom));`;

const f32 = (x: number) => ({type: 'float32', data: [x]});

type WebGPUBackendLike = {runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], dtype: 'float32', uniforms?: unknown): tf.TensorInfo};

function run(program: Elementwise, inputs: tf.Tensor[], uniforms: ReturnType<typeof f32>[]): tf.Tensor {
	const backend = tf.backend() as unknown as WebGPUBackendLike;
	return tf.engine().makeTensorFromTensorInfo(backend.runWebGPUProgram(program, inputs, 'float32', uniforms));
}

/** One AdamW update of p, m and v in place (their buffers are swapped, not copied). Call inside tf.tidy. */
export function adamwStepWebgpu(p: tf.Variable, m: tf.Variable, v: tf.Variable, grad: tf.Tensor, s: AdamWScalars): void {
	const n = p.size;
	const flat = (t: tf.Tensor) => tf.reshape(t, [n]);
	const g = flat(grad);
	const moment = (square: boolean, state: tf.Tensor, beta: number) =>
		run(new Elementwise(['G', 'S'], 'gScale : f32, beta : f32, oneMinusBeta : f32,', momentBody(square), square ? 'iota_adamw_v' : 'iota_adamw_m', n),
			[g, flat(state)], [f32(s.gScale), f32(beta), f32(1 - beta)]);
	const m2 = moment(false, m, s.b1);
	const v2 = moment(true, v, s.b2);
	const p2 = run(new Elementwise(['P', 'M', 'V'], 'decay : f32, stepSize : f32, sqrtBc2 : f32, eps : f32,', weightBody, 'iota_adamw_p', n),
		[flat(p), m2, v2], [f32(s.decay), f32(s.stepSize), f32(s.sqrtBc2), f32(s.eps)]);
	m.assign(tf.reshape(m2, m.shape));
	v.assign(tf.reshape(v2, v.shape));
	p.assign(tf.reshape(p2, p.shape));
}
