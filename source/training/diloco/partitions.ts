// Which slice of a layer's flat weight vector a partition (chunk) covers, as IOTA's get_start_and_end_indices, and splicing it back.
import {UserError} from '../../errors.js';

export type ChunkRange = {start: number; end: number};

/**
 * IOTA's `get_start_and_end_indices(tensor_length, num_sections, target_section)`: every chunk has
 * floor(N / num_sections) elements and the last one also takes the remainder. With N < num_sections every chunk
 * but the last is empty. IOTA asserts target_section < num_sections; a negative one fails there too.
 */
export function chunkRange(tensorLength: number, numPartitions: number, chunk: number): ChunkRange {
	if (!Number.isSafeInteger(tensorLength) || tensorLength < 0) throw new UserError(`tensor length must be a non-negative integer, got ${tensorLength}`);
	if (!Number.isSafeInteger(numPartitions) || numPartitions < 1) throw new UserError(`partition count must be a positive integer, got ${numPartitions}`);
	if (!Number.isSafeInteger(chunk) || chunk < 0 || chunk >= numPartitions) throw new UserError(`chunk ${chunk} is not in 0..${numPartitions - 1}`);
	const size = Math.floor(tensorLength / numPartitions);
	const start = chunk * size;
	return {start, end: chunk < numPartitions - 1 ? start + size : tensorLength};
}

/** The chunk's slice of a full vector (a view, not a copy). */
export function sliceChunk<T extends Uint16Array | Float32Array>(full: T, numPartitions: number, chunk: number): T {
	const {start, end} = chunkRange(full.length, numPartitions, chunk);
	return full.subarray(start, end) as T;
}

/** Writes one chunk's values into a full vector in place; everything outside the chunk stays as it was. */
export function spliceChunk<T extends Uint16Array | Float32Array>(full: T, numPartitions: number, chunk: number, values: ArrayLike<number>): T {
	const {start, end} = chunkRange(full.length, numPartitions, chunk);
	if (values.length !== end - start) throw new UserError(`chunk ${chunk} needs ${end - start} elements, got ${values.length}`);
	full.set(values, start);
	return full;
}
