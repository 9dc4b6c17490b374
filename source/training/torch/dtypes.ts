// The tensor element types iota-tui reads and writes, with their PyTorch storage class names and sizes.
import {fail} from './errors.js';

export const dtypeInfo = {
	float32: {storage: 'FloatStorage', bytes: 4},
	float16: {storage: 'HalfStorage', bytes: 2},
	bfloat16: {storage: 'BFloat16Storage', bytes: 2},
	int64: {storage: 'LongStorage', bytes: 8},
	float64: {storage: 'DoubleStorage', bytes: 8},
	int32: {storage: 'IntStorage', bytes: 4},
	int16: {storage: 'ShortStorage', bytes: 2},
	int8: {storage: 'CharStorage', bytes: 1},
	uint8: {storage: 'ByteStorage', bytes: 1},
	bool: {storage: 'BoolStorage', bytes: 1},
} as const;

export type DType = keyof typeof dtypeInfo;

/** Typed array per dtype; float16 and bfloat16 keep their raw 16-bit patterns, bool is 0/1 bytes. */
export type TensorDataOf = {
	float32: Float32Array; float16: Uint16Array; bfloat16: Uint16Array; int64: BigInt64Array; float64: Float64Array;
	int32: Int32Array; int16: Int16Array; int8: Int8Array; uint8: Uint8Array; bool: Uint8Array;
};
export type TensorData = TensorDataOf[DType];

const storageToDtype = new Map<string, DType>(Object.entries(dtypeInfo).map(([d, i]) => [i.storage, d as DType]));

export function dtypeOfStorage(name: string): DType {
	return storageToDtype.get(name) ?? fail(`unsupported storage class torch.${name}`);
}

export const isDtype = (name: string): name is DType => Object.hasOwn(dtypeInfo, name);

/** A typed array over a copy of little-endian bytes (iota-tui only runs on little-endian hosts). */
export function dataFromBytes(dtype: DType, bytes: Uint8Array): TensorData {
	// A fresh buffer: Buffer#slice would be a view into a pooled buffer, and the typed arrays need offset 0.
	const copy = new Uint8Array(bytes.length);
	copy.set(bytes);
	const n = copy.length / dtypeInfo[dtype].bytes;
	switch (dtype) {
		case 'float32': return new Float32Array(copy.buffer, 0, n);
		case 'float16': case 'bfloat16': return new Uint16Array(copy.buffer, 0, n);
		case 'int64': return new BigInt64Array(copy.buffer, 0, n);
		case 'float64': return new Float64Array(copy.buffer, 0, n);
		case 'int32': return new Int32Array(copy.buffer, 0, n);
		case 'int16': return new Int16Array(copy.buffer, 0, n);
		case 'int8': return new Int8Array(copy.buffer, 0, n);
		case 'uint8': case 'bool': return copy;
	}
}

export function dataMatches(dtype: DType, data: ArrayBufferView): boolean {
	switch (dtype) {
		case 'float32': return data instanceof Float32Array;
		case 'float16': case 'bfloat16': return data instanceof Uint16Array;
		case 'int64': return data instanceof BigInt64Array;
		case 'float64': return data instanceof Float64Array;
		case 'int32': return data instanceof Int32Array;
		case 'int16': return data instanceof Int16Array;
		case 'int8': return data instanceof Int8Array;
		case 'uint8': case 'bool': return data instanceof Uint8Array;
	}
}

export const bytesOf = (data: TensorData): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
