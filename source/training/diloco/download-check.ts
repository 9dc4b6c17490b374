// Entering TRAINING: splice the downloaded merged partitions into the weights, rejecting shards that look corrupt (cosine check), as IOTA does.
import {UserError} from '../../errors.js';
import {asFloat} from './bf16-ops.js';
import {chunkRange} from './partitions.js';

/** IOTA's MIN_COSINE_SIMILARITY_DOWNLOAD and MIN_PARTITION_DOWNLOAD_SUCCESS_PCT. */
export const MIN_COSINE_SIMILARITY_DOWNLOAD = 0.9;
export const MIN_PARTITION_DOWNLOAD_SUCCESS_PCT = 90;

/** dot(a, b) / (|a| |b|), NaN when either vector is all zeros (IOTA's get_cosine_similarity; computed here in doubles, IOTA in fp32). */
export function cosineSimilarity(a: Float32Array | Uint16Array, b: Float32Array | Uint16Array): number {
	if (a.length !== b.length) throw new UserError(`cosine of vectors of ${a.length} and ${b.length} elements`);
	const x = asFloat(a), y = asFloat(b);
	let dot = 0, xx = 0, yy = 0;
	for (let i = 0; i < x.length; i++) { dot += x[i]! * y[i]!; xx += x[i]! * x[i]!; yy += y[i]! * y[i]!; }
	const denom = Math.sqrt(xx) * Math.sqrt(yy);
	return denom === 0 ? Number.NaN : dot / denom;
}

/** One entry of get_merged_partitions after its weights region was fetched; null values: the download failed. */
export type DownloadedPartition = {chunkNumber: number; values: Uint16Array | null};

export type DownloadCheck<T> = {
	/** A copy of the current weights with every accepted chunk written in. Use it only when `status` is 'applied'. */
	weights: T;
	applied: number[];
	rejected: Array<{chunkNumber: number; reason: string; cosine?: number}>;
	/** (listed - failed) / listed * 100, computed as IOTA does. */
	successPct: number;
	/** 'none': nothing listed yet (IOTA keeps the current weights); 'partial': under 90 % succeeded (IOTA refuses to apply any). */
	status: 'applied' | 'partial' | 'none';
};

/**
 * download_merged_partitions for weights, as a pure function. Chunks are taken in order; a chunk is rejected when its
 * download failed, its length does not fit its range, its number is not a partition of this layer, or (except on the
 * first download after joining, when the local weights are still random) its cosine to the weights it replaces is NaN
 * or below 0.9. The cosine compares against the vector as updated so far, as IOTA's in-place splice does.
 */
export function applyMergedPartitions<T extends Float32Array | Uint16Array>(
	current: T,
	numPartitions: number,
	partitions: DownloadedPartition[],
	opts: {firstDownload: boolean; minCosine?: number; minSuccessPct?: number},
): DownloadCheck<T> {
	const weights = current.slice() as T;
	const out: DownloadCheck<T> = {weights, applied: [], rejected: [], successPct: 0, status: 'none'};
	if (partitions.length === 0) return out;
	const minCosine = opts.minCosine ?? MIN_COSINE_SIMILARITY_DOWNLOAD;
	for (const p of partitions) {
		const reject = (reason: string, cosine?: number) => out.rejected.push({chunkNumber: p.chunkNumber, reason, ...(cosine === undefined ? {} : {cosine})});
		if (!p.values) { reject('download failed'); continue; }
		if (!Number.isSafeInteger(p.chunkNumber) || p.chunkNumber < 0 || p.chunkNumber >= numPartitions) { reject(`chunk number is not in 0..${numPartitions - 1}`); continue; }
		const {start, end} = chunkRange(weights.length, numPartitions, p.chunkNumber);
		if (p.values.length !== end - start) { reject(`${p.values.length} elements for a chunk of ${end - start}`); continue; }
		const cosine = cosineSimilarity(weights.subarray(start, end), p.values);
		if (!opts.firstDownload && (Number.isNaN(cosine) || cosine < minCosine)) { reject(`cosine ${cosine} below ${minCosine}`, cosine); continue; }
		weights.set(weights instanceof Float32Array ? asFloat(p.values) : p.values, start);
		out.applied.push(p.chunkNumber);
	}
	const total = partitions.length;
	out.successPct = ((total - out.rejected.length) / total) * 100;
	out.status = out.successPct < (opts.minSuccessPct ?? MIN_PARTITION_DOWNLOAD_SUCCESS_PCT) ? 'partial' : 'applied';
	return out;
}
