// Element-wise bf16 arithmetic exactly as PyTorch's CPU kernels do it (fp32 math, one rounding to bf16), for IOTA's merge.
import {UserError} from '../../errors.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** fp32 value -> bf16 bits, round to nearest even (c10::BFloat16); NaN stays a quiet NaN. The input must already be an fp32 value. */
export function bf16Bits(x: number): number {
	f32[0] = x;
	const bits = u32[0]!;
	if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return (bits >>> 16) | 0x40;
	return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/** bf16 bits -> the number they hold. */
export function bf16Value(bits: number): number {
	u32[0] = bits << 16;
	return f32[0]!;
}

/** A Python float as torch turns a Scalar into a bf16 tensor's element type: to fp32, then to bf16 (round to nearest even). */
export const scalarToBf16 = (x: number): number => bf16Value(bf16Bits(Math.fround(x)));

/**
 * How `bf16_tensor * python_float` rounds the scalar. torch 2.x CPU keeps it in fp32 (the reduced-float scalar path
 * of mul_kernel); torch 1.x casts it to bf16 first. IOTA's miners require torch >= 2.6, hence the default.
 */
export type ScalarRounding = 'fp32' | 'bf16';

export function sameLength(what: string, ...arrays: ArrayLike<number>[]): number {
	const n = arrays[0]!.length;
	if (arrays.some(a => a.length !== n)) throw new UserError(`${what}: lengths differ (${arrays.map(a => a.length).join(' vs ')})`);
	return n;
}

/** `x.mul(s)` on a bf16 tensor: bf16(fp32(x * s)). */
export function mulScalar(x: Uint16Array, s: number, rounding: ScalarRounding = 'fp32'): Uint16Array {
	const k = rounding === 'fp32' ? Math.fround(s) : scalarToBf16(s);
	const out = new Uint16Array(x.length);
	// A bf16 times an fp32 has at most 32 significant bits: exact in a double, so fround is torch's fp32 product.
	for (let i = 0; i < x.length; i++) out[i] = bf16Bits(Math.fround(bf16Value(x[i]!) * k));
	return out;
}

/** `a.add(b)` on bf16 tensors: bf16(fp32(a + b)). */
export function addBf16(a: Uint16Array, b: Uint16Array): Uint16Array {
	const n = sameLength('bf16 add', a, b);
	const out = new Uint16Array(n);
	for (let i = 0; i < n; i++) out[i] = bf16Bits(Math.fround(bf16Value(a[i]!) + bf16Value(b[i]!)));
	return out;
}

/**
 * `self.add(other, alpha=alpha)` on bf16 tensors, as torch's vectorized CPU loop computes it: alpha becomes a bf16
 * (the ufunc kernel converts Scalars to the tensor's type), then one fused multiply-add in fp32, then bf16.
 * The product of two bf16 values is exact in a double and the double sum rounds to the same fp32 as a true FMA.
 */
export function addScaled(self: Uint16Array, other: Uint16Array, alpha: number): Uint16Array {
	const n = sameLength('bf16 add with alpha', self, other);
	const a = scalarToBf16(alpha);
	const out = new Uint16Array(n);
	for (let i = 0; i < n; i++) out[i] = bf16Bits(Math.fround(bf16Value(self[i]!) + a * bf16Value(other[i]!)));
	return out;
}

/** Values of a bf16 vector, or an fp32 vector as is. */
export function asFloat(v: Float32Array | Uint16Array): Float32Array {
	if (v instanceof Float32Array) return v;
	const out = new Float32Array(v.length);
	const bits = new Uint32Array(out.buffer);
	for (let i = 0; i < v.length; i++) bits[i] = v[i]! << 16;
	return out;
}
