// Tiled fp32 matmul over strided operands: transposes, GQA-shared K/V and head layouts read in place; 64x64 tiles.
import * as tf from '@tensorflow/tfjs';
import {runFused, type ProgramSpec} from './program.js';

const WG = 256;

/**
 * Where element (r, c) of batch x of a logical matrix sits: (x / heads) * outer + (x % heads) * head + r * row + c * col.
 * That covers contiguous [batch, rows, cols] tensors, their transposes, and heads inside [b*t, n*hd] activations.
 */
export type Layout = [heads: number, outer: number, head: number, row: number, col: number];
/** A stored contiguous [batch, rows, cols] tensor, read as itself or transposed. */
export const dense = (rows: number, cols: number, trans = false): Layout => [1, rows * cols, 0, trans ? 1 : cols, trans ? cols : 1];
/** Heads of [b*t, n*hd] (batch bi*n + hi, rows time, columns hd), or their transposes. */
export const headsOf = (t: number, n: number, hd: number, trans = false): Layout => [n, t * n * hd, hd, trans ? 1 : n * hd, trans ? n * hd : 1];

// batch: output batches; pair i (of batch * group) reads A's batch i / repA and B's i / repB; group pairs sum into one output.
const fields = ['batch', 'm', 'n', 'k', 'repA', 'repB', 'group', ...['a', 'b', 'c'].flatMap(x => ['Heads', 'Outer', 'Head', 'Row', 'Col'].map(f => x + f))];
const uniforms = fields.map(f => `${f} : i32,`).join(' ');

/** Element (r, c) of op(X) [rows, cols] in X's batch xb (-1: a workgroup past the end), 0 outside. */
const load = (name: string, x: string, rows: string, cols: string) => `
fn load${name}(xb: i32, r: i32, c: i32) -> f32 {
  if (xb < 0 || r >= ${rows} || c >= ${cols}) { return 0.0; }
  let base = (xb / uniforms.${x}Heads) * uniforms.${x}Outer + (xb % uniforms.${x}Heads) * uniforms.${x}Head;
  return ${name}[base + r * uniforms.${x}Row + c * uniforms.${x}Col];
}`;

function code(): string {
	return `${load('A', 'a', 'uniforms.m', 'uniforms.k')}
${load('B', 'b', 'uniforms.k', 'uniforms.n')}
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
    let base = (b / uniforms.cHeads) * uniforms.cOuter + (b % uniforms.cHeads) * uniforms.cHead;
    for (var i = 0; i < 4; i++) {
      for (var j = 0; j < 4; j++) {
        let r = row0 + ty * 4 + i;
        let c = col0 + tx * 4 + j;
        if (r < uniforms.m && c < uniforms.n) { result[base + r * uniforms.cRow + c * uniforms.cCol] = acc[i * 4 + j]; }
      }
    }
  }
}`;
}

/** A product's sizes and layouts: output [batch] x [m, n], inner k; pairs batch * group. */
type Form = {m: number; n: number; k: number; batch: number; repA: number; repB: number; group: number; la: Layout; lb: Layout; lc: Layout; shape: number[]};

function spec(f: Form): ProgramSpec {
	return {
		key: 'matmul_strided', inputs: ['A', 'B'], code: code(), workgroup: WG, outputShape: f.shape,
		threads: f.batch * Math.ceil(f.m / 64) * Math.ceil(f.n / 64) * WG, uniforms,
		uniformData: [f.batch, f.m, f.n, f.k, f.repA, f.repB, f.group, ...f.la, ...f.lb, ...f.lc].map(v => ({type: 'int32' as const, data: [v]})),
	};
}

const run = (a: tf.Tensor, b: tf.Tensor, f: Form) => runFused('MatMulStrided', (_, at) => spec(at as unknown as Form), [a, b], f);

/** op(a) op(b) of contiguous operands; b's batch i serves a's batches i*repB ..; `group` consecutive products sum. */
function product(a: tf.Tensor, b: tf.Tensor, transA: boolean, transB: boolean, repB = 1, group = 1): tf.Tensor {
	const [ba, ra, ca] = a.rank === 3 ? a.shape : [1, ...a.shape];
	const [bb, rb, cb] = b.rank === 3 ? b.shape : [1, ...b.shape];
	const [m, k] = transA ? [ca!, ra!] : [ra!, ca!];
	const [k2, n] = transB ? [cb!, rb!] : [rb!, cb!];
	if (k !== k2 || ba !== bb! * repB || ba! % group !== 0) throw new Error(`matmul shapes ${a.shape} x ${b.shape} (transposed ${transA}, ${transB}; B shared by ${repB}, ${group} summed)`);
	const batch = ba! / group;
	const shape = a.rank === 3 ? [batch, m, n] : [m, n];
	return run(a, b, {m, n, k, batch, repA: 1, repB, group, la: dense(ra!, ca!, transA), lb: dense(rb!, cb!, transB), lc: dense(m, n), shape});
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

/**
 * Attention's P V with the heads read from and written to the [b*t, n*hd] activations in place: p [b*h, t, t],
 * v [b*t, kv*hd] (kv heads, each serving h/kv query heads) -> [b*t, h*hd], with no head split or merge transposes.
 */
export function fusedHeadsPV(p: tf.Tensor3D, v: tf.Tensor2D, b: number, h: number, kv: number): tf.Tensor2D {
	const [t, hd] = [p.shape[1], v.shape[1] / kv];
	const rep = h / kv;
	const [pd, pT] = [dense(t, t), dense(t, t, true)];
	const f = tf.customGrad(((ps: tf.Tensor, vs: tf.Tensor, save: tf.GradSaveFunc) => {
		save([ps, vs]);
		return {
			value: run(ps, vs, {m: t, n: hd, k: t, batch: b * h, repA: 1, repB: rep, group: 1, la: pd, lb: headsOf(t, kv, hd), lc: headsOf(t, h, hd), shape: [b * t, h * hd]}),
			gradFunc: (dy: tf.Tensor, [pSaved, vSaved]: tf.Tensor[]) => [
				// dP = dO V^T per query head; dV = P^T dO summed over the query heads of each kv head.
				run(dy, vSaved!, {m: t, n: t, k: hd, batch: b * h, repA: 1, repB: rep, group: 1, la: headsOf(t, h, hd), lb: headsOf(t, kv, hd, true), lc: pd, shape: [b * h, t, t]}),
				run(pSaved!, dy, {m: t, n: hd, k: t, batch: b * kv, repA: 1, repB: 1, group: rep, la: pT, lb: headsOf(t, h, hd), lc: headsOf(t, kv, hd), shape: [b * t, kv * hd]}),
			],
		};
	}) as any);
	return f(p, v) as tf.Tensor2D;
}
