// Runs an element-wise optimizer update over row blocks of a parameter, so its temporaries take a few blocks, not ~15 whole copies.
import * as tf from '@tensorflow/tfjs';

/** Elements per block (16 MiB of fp32): a 128,256-row embedding is ~16 blocks, and wasm's 4 GiB heap holds its step. */
let chunkElements = 1 << 22;

/** Sets the block size (tests force small blocks); returns the old one. */
export function setOptimizerChunkElements(n: number): number {
	if (!(Number.isInteger(n) && n > 0)) throw new Error(`chunk size ${n} is not a positive integer`);
	const old = chunkElements;
	chunkElements = n;
	return old;
}

type WasmBackend = {makeOutput?: (shape: number[], dtype: string) => tf.TensorInfo; dataIdMap?: {get(id: object): {memoryOffset: number} | undefined};
	wasm?: {HEAPU8?: Uint8Array}};

/**
 * Rows [start, start + n) of `x`. wasm's Slice kernel copies the whole tensor out of its heap first (readSync),
 * ~0.25 s per slice of a 128,256-row embedding, so on wasm the rows are copied heap to heap instead.
 */
function rowsOf(x: tf.Tensor, start: number, n: number): tf.Tensor {
	const b = tf.backend() as unknown as WasmBackend;
	if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || typeof b.makeOutput !== 'function' || !b.dataIdMap || !b.wasm?.HEAPU8) return tf.slice(x, start, n);
	const rowBytes = (x.size / x.shape[0]!) * 4;
	const out = b.makeOutput([n, ...x.shape.slice(1)], 'float32');
	const from = b.dataIdMap.get(x.dataId)!.memoryOffset + start * rowBytes;
	// Read HEAPU8 after makeOutput: a malloc that grows the memory replaces the view.
	b.wasm.HEAPU8.copyWithin(b.dataIdMap.get(out.dataId)!.memoryOffset, from, from + n * rowBytes);
	return tf.engine().makeTensorFromTensorInfo(out);
}

/**
 * `update` maps slices of `inputs` (same shape) to its outputs, element by element, so blocks of rows give the
 * same numbers as the whole. `release` is disposed once every block is computed, before the blocks are joined.
 * A 1-D or small tensor is one block.
 */
export function updateByRows(inputs: tf.Tensor[], release: tf.Tensor[], update: (x: tf.Tensor[]) => tf.Tensor[]): tf.Tensor[] {
	const x = inputs[0]!;
	const rows = x.shape[0] ?? 1;
	const rowSize = x.size / Math.max(rows, 1);
	const per = Math.max(1, Math.floor(chunkElements / Math.max(rowSize, 1)));
	if (x.rank < 2 || per >= rows) {
		const out = tf.tidy(() => update(inputs));
		tf.dispose(release);
		return out;
	}
	const blocks: tf.Tensor[][] = [];
	try {
		for (let start = 0; start < rows; start += per) {
			const n = Math.min(per, rows - start);
			blocks.push(tf.tidy(() => update(inputs.map(t => rowsOf(t, start, n)))));
		}
	} catch (error) {
		tf.dispose(blocks.flat()); // a failed step (out of memory) leaves the state as it was
		throw error;
	}
	tf.dispose(release);
	// One output at a time, so the blocks and the joined copy of only one output coexist.
	return blocks[0]!.map((_, j) => {
		const parts = blocks.map(b => b[j]!);
		const joined = tf.concat(parts, 0);
		tf.dispose(parts);
		return joined;
	});
}
