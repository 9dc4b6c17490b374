// Tiled fp32 matmul with transposes read in place: op(A) op(B), 64x64 output tiles, 4x4 per invocation.
import * as tf from '@tensorflow/tfjs';
import {runFused, type ProgramSpec} from './program.js';

const WG = 256;
const uniforms = 'batch : i32, m : i32, n : i32, k : i32, batchA : i32, batchB : i32,';

/** Element (r, c) of op(A) [m, k] or op(B) [k, n] in batch b, 0 outside; `rows`/`cols` are op()'s shape. */
const load = (name: string, trans: boolean, rows: string, cols: string, batches: string) => `
fn load${name}(b: i32, r: i32, c: i32) -> f32 {
  if (r >= ${rows} || c >= ${cols} || b >= uniforms.batch) { return 0.0; }
  let off = select(0, b, ${batches} > 1) * ${rows} * ${cols};
  return ${name}[off + ${trans ? `c * ${rows} + r` : `r * ${cols} + c`}];
}`;

function code(transA: boolean, transB: boolean): string {
	return `${load('A', transA, 'uniforms.m', 'uniforms.k', 'uniforms.batchA')}
${load('B', transB, 'uniforms.k', 'uniforms.n', 'uniforms.batchB')}
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
  for (var k0 = 0; k0 < uniforms.k; k0 += 16) {
    for (var i = 0; i < 4; i++) {
      let e = lane + i * ${WG};
      As[e] = loadA(b, row0 + e / 16, k0 + e % 16);
      Bs[e] = loadB(b, k0 + e / 64, col0 + e % 64);
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
  if (b < uniforms.batch) {
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

function spec(a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean): ProgramSpec {
	const [ba, ra, ca] = a.shape.length === 3 ? a.shape : [1, ...a.shape];
	const [bb, rb, cb] = b.shape.length === 3 ? b.shape : [1, ...b.shape];
	const [m, k] = transA ? [ca!, ra!] : [ra!, ca!];
	const [k2, n] = transB ? [cb!, rb!] : [rb!, cb!];
	if (k !== k2 || (ba !== bb && ba !== 1 && bb !== 1)) throw new Error(`matmul shapes ${a.shape} x ${b.shape} (transposed ${transA}, ${transB})`);
	const batch = Math.max(ba!, bb!);
	const outputShape = a.shape.length === 3 || b.shape.length === 3 ? [batch, m, n] : [m, n];
	return {
		key: `matmul_${transA}_${transB}`, inputs: ['A', 'B'], code: code(transA, transB), workgroup: WG, outputShape,
		threads: batch * Math.ceil(m / 64) * Math.ceil(n / 64) * WG, uniforms,
		uniformData: [batch, m, n, k, ba!, bb!].map(v => ({type: 'int32' as const, data: [v]})),
	};
}

/** op(a) op(b) for 2-D or batched 3-D operands, no transpose dispatches (stock: an explicit transpose per flag). */
function product(a: tf.Tensor, b: tf.Tensor, transA: boolean, transB: boolean): tf.Tensor {
	return runFused(`MatMul${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`, (ins, at) => spec(ins[0]!, ins[1]!, at.transA as boolean, at.transB as boolean), [a, b], {transA, transB});
}

/** op(a) op(b) (both 2-D, or both [batch, ., .] with one batch) with gradients that are transpose-free products too. */
export function fusedMatMul(a: tf.Tensor, b: tf.Tensor, transA = false, transB = false): tf.Tensor {
	if (a.rank !== b.rank || (a.rank === 3 && a.shape[0] !== b.shape[0])) throw new Error(`fusedMatMul needs equal batches: ${a.shape} x ${b.shape}`);
	const f = tf.customGrad(((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
		save([x, y]);
		return {
			value: product(x, y, transA, transB),
			gradFunc: (dc: tf.Tensor, [xs, ys]: tf.Tensor[]) => {
				if (!transA && !transB) return [product(dc, ys!, false, true), product(xs!, dc, true, false)];
				if (!transA && transB) return [product(dc, ys!, false, false), product(dc, xs!, true, false)];
				if (transA && !transB) return [product(ys!, dc, false, true), product(xs!, dc, false, false)];
				return [product(ys!, dc, true, true), product(dc, xs!, true, true)];
			},
		};
	}) as any);
	return f(a, b);
}
