// One chunk of IOTA's MERGING_PARTITIONS phase: average the sources' pseudo-gradients, take the outer Nesterov step, build the partition blob.
import {UserError} from '../../errors.js';
import {buildPartitionBlob, type PartitionTrailer} from '../blob.js';
import {averagePseudoGradients, type ChunkSource} from './average.js';
import type {ScalarRounding} from './bf16-ops.js';
import {nesterovStep, outerMomentum} from './outer.js';

export type MergeChunkInput = {
	chunkNumber: number;
	layer: number;
	/** The chunk's slice (chunkRange) of the miner's previous-epoch weights, bf16. */
	oldWeights: Uint16Array;
	/**
	 * Every selected source (selectSources), in the orchestrator's order, with its section for this chunk. IOTA drops the
	 * whole chunk when any of these range GETs fails, so do not merge it then; a null here is skipped as merge_partition_batch would.
	 */
	sources: ChunkSource[];
	/** The previous merged partition's optimizer_state region for this chunk, or null when there is none (first epoch). */
	oldMomentum: Uint16Array | null;
	/** The run's current epoch (the model manager's, else get_run_epoch). */
	epoch: number;
	/** The run flag weighted_partition_averaging (on by default). */
	weighted: boolean;
	scalarRounding?: ScalarRounding;
};

export type MergedChunk = {
	weights: Uint16Array;
	momentum: Uint16Array;
	/** Indices into `sources` that went into the average, and the ones left out with why. */
	used: number[];
	skipped: Array<{index: number; reason: string}>;
	blob: {bytes: Uint8Array; trailer: PartitionTrailer};
};

/** Throws (the chunk is then not submitted, as IOTA drops a partition whose merge raises) when nothing can be merged. */
export function mergeChunk(input: MergeChunkInput): MergedChunk {
	const n = input.oldWeights.length;
	// IOTA's upload asserts non-empty weights and state, so an empty chunk (N < partitions) is never submitted.
	if (n === 0) throw new UserError(`chunk ${input.chunkNumber} is empty`);
	if (input.oldMomentum && input.oldMomentum.length !== n) throw new UserError(`chunk ${input.chunkNumber}: previous momentum has ${input.oldMomentum.length} elements, the chunk ${n}`);
	const avg = averagePseudoGradients(input.sources, {weighted: input.weighted, expectedLength: n});
	const step = nesterovStep(input.oldWeights, avg.values, input.oldMomentum, outerMomentum(input.epoch), {scalarRounding: input.scalarRounding});
	const blob = buildPartitionBlob({weights: step.weights, optimizerState: step.momentum, chunkNumber: input.chunkNumber, layer: input.layer});
	return {weights: step.weights, momentum: step.momentum, used: avg.used, skipped: avg.skipped, blob};
}
