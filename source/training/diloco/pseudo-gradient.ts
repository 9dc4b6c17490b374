// DiLoCo pseudo-gradient a miner uploads at WEIGHTS_UPLOADING: previous weights minus current, fp32, then bf16; optional norm clip.
import {UserError} from '../../errors.js';
import {asFloat, bf16Bits, bf16Value, mulScalar, sameLength, type ScalarRounding} from './bf16-ops.js';

/**
 * `(previous.to(float32) - current.to(float32)).to(bfloat16)`. Either side may be bf16 bits (Uint16Array, as IOTA's
 * bf16 model stores them) or fp32 values; a bf16 input widens exactly, so both give the same result for bf16 weights.
 */
export function pseudoGradient(previous: Float32Array | Uint16Array, current: Float32Array | Uint16Array): Uint16Array {
	const n = sameLength('pseudo-gradient', previous, current);
	const p = asFloat(previous), c = asFloat(current);
	const out = new Uint16Array(n);
	// The double difference of two fp32 values rounds to the same fp32 as an fp32 subtraction.
	for (let i = 0; i < n; i++) out[i] = bf16Bits(Math.fround(p[i]! - c[i]!));
	return out;
}

/** IOTA's clip bound: grad_clip_norm * sqrt(stage parameters / total global parameters), the same as the inner clip. */
export function pseudoGradientMaxNorm(gradClipNorm: number, stageParams: number, totalGlobalParams: number): number {
	if (!(gradClipNorm > 0) || !(stageParams > 0) || !(totalGlobalParams > 0)) throw new UserError('clip bound needs a positive grad_clip_norm and parameter counts');
	return gradClipNorm * Math.sqrt(stageParams / totalGlobalParams);
}

/** `pg.norm(2).item()` of a bf16 tensor: the L2 norm, returned by torch as a bf16 (so rounded to bf16 here too). */
export function bf16L2Norm(pg: Uint16Array): number {
	let sum = 0;
	for (let i = 0; i < pg.length; i++) { const v = bf16Value(pg[i]!); sum += v * v; }
	// torch sums the squares in fp32: past the fp32 range the norm is infinite (and then clipping zeroes the vector).
	if (Math.fround(sum) === Infinity) return Infinity;
	return bf16Value(bf16Bits(Math.fround(Math.sqrt(sum))));
}

export type ClipResult = {values: Uint16Array; norm: number; clipped: boolean; scale: number};

/**
 * IOTA's clip_pseudo_gradients (run when the `clip_pseudo_gradients` flag is on) on the bf16 pseudo-gradient: if its
 * bf16 norm exceeds maxNorm, multiply by maxNorm / (norm + eps) (a bf16 tensor times a Python float); else unchanged.
 */
export function clipPseudoGradient(pg: Uint16Array, maxNorm: number, opts: {eps?: number; scalarRounding?: ScalarRounding} = {}): ClipResult {
	const norm = bf16L2Norm(pg);
	if (!(norm > maxNorm)) return {values: pg.slice(), norm, clipped: false, scale: 1};
	const scale = maxNorm / (norm + (opts.eps ?? 1e-6));
	return {values: mulScalar(pg, scale, opts.scalarRounding), norm, clipped: true, scale};
}

/** What submit_weights uploads: the pseudo-gradient, clipped when asked, refused if any element is NaN or infinite. */
export function preparePseudoGradient(previous: Float32Array | Uint16Array, current: Float32Array | Uint16Array, opts: {clipMaxNorm?: number} = {}): Uint16Array {
	let pg = pseudoGradient(previous, current);
	if (opts.clipMaxNorm !== undefined) pg = clipPseudoGradient(pg, opts.clipMaxNorm).values;
	for (let i = 0; i < pg.length; i++) {
		if ((pg[i]! & 0x7f80) === 0x7f80) throw new UserError(`pseudo-gradient element ${i} is ${Number.isNaN(bf16Value(pg[i]!)) ? 'NaN' : 'infinite'}; not uploading`);
	}
	return pg;
}
