// Tiled fp32 matmul with transposes read in place: op(A) op(B), 64x64 output tiles, 4x4 per invocation; GQA-shared B.
import * as tf from '@tensorflow/tfjs';
import {runFused, type ProgramSpec} from './program.js';

const WG = 256;
// batch: output batches; pair i (of batch * group) reads A's batch i / repA and B's i / repB; group pairs sum into one output.
const uniforms = 'batch : i32, m : i32, n : i32, k : i32, repA : i32, repB : i32, group : i32,';

/** Element (r, c) of op(X) [rows, cols] in X's batch xb (-1: a workgroup past the end), 0 outside. */
const load = (name: string, trans: boolean, rows: string, cols: string) => `
fn load${name}(xb: i32, r: i32, c: i32) -> f32 {
  if (xb < 0 || r >= ${rows} || c >= ${cols}) { return 0.0; }
  return ${name}[xb * ${rows} * ${cols} + ${trans ? `c * ${rows} + r` : `r * ${cols} + c`}];
}`;

function code(transA: boolean, transB: boolean): string {
	return `${load('A', transA, 'uniforms.m', 'uniforms.k')}
${load('B', transB, 'uniforms.k', 'uniforms.n')}
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;
fn main(index: i32) {
  let lane = index % ${WG};
  let tile = index / ${WG};
  let tilesN = (uniforms.n + 63) / 64;
  let perBatch = tilesN * ((uniforms.m + 63) / 64);
  let b = tile / perBatch;
  let row0 = ((tile % perBatch) / tilesN) * 64;
  let col0 = (tile % tilesN) * 64;
  let tx = lane % 16;
  let ty = lane / 16;
  var acc: array<f32, 16>;
  let live = b < uniforms.batch;
  for (var g = 0; g < uniforms.group; g++) {
    let pair = b * uniforms.group + g;
    for (var k0 = 0; k0 < uniforms.k; k0 += 16) {
      for (var i = 0; i < 4; i++) {
        let e = lane + i * ${WG};
        As[e] = loadA(select(-1, pair / uniforms.repA, live), row0 + e / 16, k0 + e % 16);
        Bs[e] = loadB(select(-1, pair / uniforms.repB, live), k0 + e / 64, col0 + e % 64);
      }
      workgroupBarrier();
      for (var k = 0; k < 16; k++) {
        let bv = vec4<f32>(Bs[k * 64 + tx * 4], Bs[k * 64 + tx * 4 + 1], Bs[k * 64 + tx * 4 + 2], Bs[k * 64 + tx * 4 + 3]);
        for (var i = 0; i < 4; i++) {
          let a = As[(ty * 4 + i) * 16 + k];
          acc[i * 4] += a * bv.x; acc[i * 4 + 1] += a * bv.y; acc[i * 4 + 2] += a * bv.z; acc[i * 4 + 3] += a * bv.w;
        }
      }
      workgroupBarrier();
    }
  }
  if (live) {
    for (var i = 0; i < 4; i++) {
      for (var j = 0; j < 4; j++) {
        let r = row0 + ty * 4 + i;
        let c = col0 + tx * 4 + j;
        if (r < uniforms.m && c < uniforms.n) { result[(b * uniforms.m + r) * uniforms.n + c] = acc[i * 4 + j]; }
      }
    }
  }
}`;
}

type Form = {transA: boolean; transB: boolean; repB: number; group: number};

function spec(a: tf.TensorInfo, b: tf.TensorInfo, {transA, transB, repB, group}: Form): ProgramSpec {
	const [ba, ra, ca] = a.shape.length === 3 ? a.shape : [1, ...a.shape];
	const [bb, rb, cb] = b.shape.length === 3 ? b.shape : [1, ...b.shape];
	const [m, k] = transA ? [ca!, ra!] : [ra!, ca!];
	const [k2, n] = transB ? [cb!, rb!] : [rb!, cb!];
	if (k !== k2 || ba !== bb! * repB || ba! % group !== 0) throw new Error(`matmul shapes ${a.shape} x ${b.shape} (transposed ${transA}, ${transB}; B shared by ${repB}, ${group} summed)`);
	const batch = ba! / group;
	const outputShape = a.shape.length === 3 ? [batch, m, n] : [m, n];
	return {
		key: `matmul_${transA}_${transB}`, inputs: ['A', 'B'], code: code(transA, transB), workgroup: WG, outputShape,
		threads: batch * Math.ceil(m / 64) * Math.ceil(n / 64) * WG, uniforms,
		uniformData: [batch, m, n, k, 1, repB, group].map(v => ({type: 'int32' as const, data: [v]})),
	};
}

/** Runs op(a) op(b); b's batch i serves a's batches i*repB .. i*repB+repB-1; `group` consecutive products are summed. */
function product(a: tf.Tensor, b: tf.Tensor, transA: boolean, transB: boolean, repB = 1, group = 1): tf.Tensor {
	const form: Form = {transA, transB, repB, group};
	return runFused(`MatMul${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`, (ins, at) => spec(ins[0]!, ins[1]!, at as unknown as Form), [a, b], form);
}

/**
 * op(a) op(b) for 2-D operands, or [batch, ., .] ones where b's batch g serves a's batches g*rep .. g*rep+rep-1
 * (grouped-query attention without repeating K and V). The gradients are transpose-free products too; b's sums
 * its rep batches inside the kernel.
 */
export function fusedMatMul(a: tf.Tensor, b: tf.Tensor, transA = false, transB = false, rep = 1): tf.Tensor {
	const batches = [a.rank === 3 ? a.shape[0]! : 1, b.rank === 3 ? b.shape[0]! : 1];
	if (a.rank !== b.rank || batches[0] !== batches[1]! * rep) throw new Error(`fusedMatMul batches: ${a.shape} x ${b.shape}, rep ${rep}`);
	if (rep > 1 && transA) throw new Error('a shared (GQA) operand needs transA false');
	const f = tf.customGrad(((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
		save([x, y]);
		return {
			value: product(x, y, transA, transB, rep),
			gradFunc: (dc: tf.Tensor, [xs, ys]: tf.Tensor[]) => {
				if (!transA && !transB) return [product(dc, ys!, false, true, rep), product(xs!, dc, true, false, 1, rep)];
				if (!transA && transB) return [product(dc, ys!, false, false, rep), product(dc, xs!, true, false, 1, rep)];
				if (transA && !transB) return [product(ys!, dc, false, true), product(xs!, dc, false, false)];
				return [product(ys!, dc, true, true), product(dc, xs!, true, true)];
			},
		};
	}) as any);
	return f(a, b);
}
