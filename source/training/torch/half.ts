// 16-bit float helpers: IEEE half bits <-> float32 (bf16 ones live in ../bf16.ts and are re-exported).
export {toBf16 as float32ToBf16, fromBf16 as bf16ToFloat32} from '../bf16.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float16ToFloat32(bits: Uint16Array): Float32Array {
	const out = new Float32Array(bits.length);
	for (let i = 0; i < bits.length; i++) {
		const h = bits[i]!;
		const sign = h & 0x8000 ? -1 : 1;
		const exp = (h >>> 10) & 0x1f;
		const frac = h & 0x3ff;
		if (exp === 0) out[i] = sign * frac * 2 ** -24;
		else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
		else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
	}
	return out;
}

/** Round-to-nearest-even, overflow to infinity, NaN stays NaN (as torch's .half()). */
export function float32ToFloat16(values: Float32Array): Uint16Array {
	const out = new Uint16Array(values.length);
	for (let i = 0; i < values.length; i++) {
		f32[0] = values[i]!;
		const x = u32[0]!;
		const sign = (x >>> 16) & 0x8000;
		const exp = (x >>> 23) & 0xff;
		const mant = x & 0x7fffff;
		if (exp === 0xff) { out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); continue; }
		const e = exp - 127 + 15;
		if (e >= 31) { out[i] = sign | 0x7c00; continue; }
		if (e <= 0) {
			// Subnormal half (or zero): shift the full mantissa down, then round to nearest even.
			if (e < -10) { out[i] = sign; continue; }
			const m = mant | 0x800000;
			const shift = 14 - e;
			const half = 1 << (shift - 1);
			const rest = m & ((1 << shift) - 1);
			let r = m >>> shift;
			if (rest > half || (rest === half && (r & 1))) r++;
			out[i] = sign | r;
			continue;
		}
		let r = (e << 10) | (mant >>> 13);
		const rest = mant & 0x1fff;
		if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) r++;
		out[i] = sign | r;
	}
	return out;
}
