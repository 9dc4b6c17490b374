// Shared plumbing for the fused WGSL kernels: program objects for the TF.js webgpu backend, kernel registration, the on/off switch.
import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;
export type Uniform = {type: 'int32' | 'float32'; data: number[]};

/** What one fused program needs; sizes travel as uniforms, so `key` names only what is baked into the code. */
export type ProgramSpec = {
	key: string;
	inputs: string[];
	outputShape: number[];
	/** Invocations to launch (rows * workgroup for a row kernel, elements for an elementwise one). */
	threads: number;
	workgroup: number;
	uniforms: string;
	uniformData: Uniform[];
	code: string;
	dtype?: 'float32' | 'int32';
};

/** Builds the program object the backend expects (flat layout: main(index) gets the global invocation index). */
export function runProgram(backend: unknown, spec: ProgramSpec, inputs: TensorInfo[]): TensorInfo {
	const program = {
		variableNames: spec.inputs,
		outputShape: spec.outputShape,
		shaderKey: `iota_${spec.key}`,
		dispatchLayout: {x: spec.outputShape.map((_, i) => i)},
		dispatch: [Math.max(1, Math.ceil(spec.threads / spec.workgroup)), 1, 1] as [number, number, number],
		workgroupSize: [spec.workgroup, 1, 1] as [number, number, number],
		uniforms: spec.uniforms,
		getUserCode: () => spec.code,
	};
	return (backend as {runWebGPUProgram: (...a: unknown[]) => TensorInfo}).runWebGPUProgram(program, inputs, spec.dtype ?? 'float32', spec.uniformData);
}

let enabled = process.env.IOTA_WEBGPU_FUSED !== '0';
/** Turns the fused kernels off (stock TF.js ops everywhere) or on; for tests and dispatch counts. */
export function setFusedKernels(on: boolean): void { enabled = on; }
/** Whether the training ops should take the fused path: only on the webgpu backend. */
export const useFused = (): boolean => enabled && tf.getBackend() === 'webgpu';

// The tiled matmul is checked but not yet timed on a GPU against TF.js's packed one: IOTA_WEBGPU_FUSED_MATMUL=0 keeps TF.js's.
let matmulEnabled = process.env.IOTA_WEBGPU_FUSED_MATMUL !== '0';
/** Turns the fused matmul alone off or on (the other fused kernels stay as setFusedKernels left them). */
export function setFusedMatMul(on: boolean): void { matmulEnabled = on; }
/** Whether linear/bmm/attention scores take the tiled WGSL matmul. */
export const useFusedMatMul = (): boolean => matmulEnabled && useFused();

// The fused attention walks K and V per query row (no tiles yet): checked, not timed on a GPU. IOTA_WEBGPU_FUSED_ATTENTION=0 turns it off.
let attentionEnabled = process.env.IOTA_WEBGPU_FUSED_ATTENTION !== '0';
/** Turns the fused attention alone off or on (off: matmul + softmax kernels). */
export function setFusedAttention(on: boolean): void { attentionEnabled = on; }
/** Whether attention takes the single fused kernel (it needs the fused matmul's layouts on too). */
export const useFusedAttention = (): boolean => attentionEnabled && useFusedMatMul();

type Make = (inputs: TensorInfo[], attrs: Record<string, unknown>) => ProgramSpec;
const registered = new Set<string>();

/**
 * Runs a fused program as a TF.js kernel (registered for webgpu on first use), so the engine tracks its tensors.
 * The first `make` of a name is the one registered: it must read sizes from its inputs and attrs, not from a closure.
 */
export function runFused(name: string, make: Make, inputs: tf.Tensor[], attrs: Record<string, unknown> = {}): tf.Tensor {
	const kernelName = `Iota${name}`;
	if (!registered.has(kernelName)) {
		if (!tf.getKernel(kernelName, 'webgpu')) {
			tf.registerKernel({
				kernelName,
				backendName: 'webgpu',
				kernelFunc: ({inputs: named, backend, attrs: a}) => {
					const list = Object.keys(named).sort().map(k => named[k]!);
					return runProgram(backend, make(list, a as Record<string, unknown>), list);
				},
			});
		}
		registered.add(kernelName);
	}
	const named = Object.fromEntries(inputs.map((t, i) => [`in${String(i).padStart(2, '0')}`, t]));
	return tf.engine().runKernel(kernelName, named, attrs as tf.NamedAttrMap) as tf.Tensor;
}

/** Workgroup-wide sums of a vec2 (two row reductions in one pass); call from uniform control flow only. */
export const reduceSnippet = (wg: number) => `
var<workgroup> partials: array<vec2<f32>, ${wg}>;
fn workgroupSum(lane: i32, v: vec2<f32>) -> vec2<f32> {
  partials[lane] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}; s > 0; s = s >> 1u) {
    if (lane < s) { partials[lane] = partials[lane] + partials[lane + s]; }
    workgroupBarrier();
  }
  let total = partials[0];
  workgroupBarrier();
  return total;
}
var<workgroup> maxima: array<f32, ${wg}>;
fn workgroupMax(lane: i32, v: f32) -> f32 {
  maxima[lane] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}; s > 0; s = s >> 1u) {
    if (lane < s) { maxima[lane] = max(maxima[lane], maxima[lane + s]); }
    workgroupBarrier();
  }
  let total = maxima[0];
  workgroupBarrier();
  return total;
}
`;

/** Row kernels: one workgroup of ROW_WG invocations per row. */
export const ROW_WG = 64;
