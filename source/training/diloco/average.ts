// Which submitted pseudo-gradients a merger uses, and their weighted average for one chunk (fp32 sum, then bf16), as IOTA merges.
import {UserError} from '../../errors.js';
import {bf16Bits, bf16Value} from './bf16-ops.js';

/** IOTA's MIN_LOCAL_OPTIMIZER_STEPS: with enforce_min_local_optimizer_steps on, a source with fewer local steps is left out. */
export const MIN_LOCAL_OPTIMIZER_STEPS = 5;

/** One source miner's blob trailer as fetched: the trailer, or the error that kept it from being fetched. */
export type TrailerResult = {trailer: {local_optimization_steps?: unknown}} | {error: unknown};

export type SourceSelection = {kept: number[]; dropped: Array<{index: number; reason: string}>};

/**
 * IOTA's source filter (download_pseudograds_for_partition_batch): a source whose trailer could not be fetched is
 * dropped for every chunk; with enforcement on, so is one whose local_optimization_steps (missing = 0) is below the minimum.
 */
export function selectSources(results: TrailerResult[], opts: {enforceMinSteps: boolean; minSteps?: number}): SourceSelection {
	const min = opts.minSteps ?? MIN_LOCAL_OPTIMIZER_STEPS;
	const out: SourceSelection = {kept: [], dropped: []};
	results.forEach((r, index) => {
		if ('error' in r) { out.dropped.push({index, reason: `trailer not fetched: ${r.error instanceof Error ? r.error.message : String(r.error)}`}); return; }
		if (opts.enforceMinSteps) {
			const steps = r.trailer.local_optimization_steps ?? 0;
			if (typeof steps !== 'number' || !(steps >= min)) { out.dropped.push({index, reason: `local_optimization_steps ${String(steps)} below ${min}`}); return; }
		}
		out.kept.push(index);
	});
	return out;
}

/** One source's section for the chunk (bf16), with the orchestrator's weighting_factor for it. Null values: nothing was downloaded. */
export type ChunkSource = {values: Uint16Array | null; weightingFactor?: number | null};

export type Average = {values: Uint16Array; used: number[]; skipped: Array<{index: number; reason: string}>; totalWeight: number};

/**
 * `Σ wᵢ·gᵢ / Σ wᵢ` as merge_partition_batch computes it: each section widened to fp32 and multiplied by its factor
 * (rounded to fp32), summed in source order in fp32 starting from the first term, divided by the fp32 total, cast to bf16.
 * wᵢ = weighting_factor when weighted (weighted_partition_averaging on), else 1. A source IOTA's loop would throw on is
 * skipped for this chunk as IOTA's per-source except does: no values, no weighting_factor while weighted, or (stricter
 * than IOTA, which checks against the first source) a length other than `expectedLength`.
 */
export function averagePseudoGradients(sources: ChunkSource[], opts: {weighted: boolean; expectedLength: number}): Average {
	const n = opts.expectedLength;
	const acc = new Float32Array(n);
	const used: number[] = [];
	const skipped: Average['skipped'] = [];
	let total = 0;
	sources.forEach((s, index) => {
		if (!s.values) { skipped.push({index, reason: 'no section downloaded'}); return; }
		if (s.values.length !== n) { skipped.push({index, reason: `section has ${s.values.length} elements, the chunk ${n}`}); return; }
		const w = opts.weighted ? s.weightingFactor : 1;
		if (w === null || w === undefined) { skipped.push({index, reason: 'no weighting_factor while weighted averaging is on'}); return; }
		if (!Number.isFinite(w)) throw new UserError(`weighting_factor of source ${index} is not a finite number (${w})`);
		const w32 = Math.fround(w);
		const g = s.values;
		if (used.length === 0) for (let i = 0; i < n; i++) acc[i] = bf16Value(g[i]!) * w32;
		else for (let i = 0; i < n; i++) acc[i] = acc[i]! + Math.fround(bf16Value(g[i]!) * w32);
		used.push(index);
		total += w;
	});
	if (used.length === 0) throw new UserError('no pseudo-gradient to average for this chunk');
	// IOTA would divide by zero here and merge NaN/inf; refuse instead.
	if (total === 0) throw new UserError('the weighting factors of this chunk add up to 0');
	const t32 = Math.fround(total);
	const values = new Uint16Array(n);
	for (let i = 0; i < n; i++) values[i] = bf16Bits(Math.fround(acc[i]! / t32));
	return {values, used, skipped, totalWeight: total};
}
