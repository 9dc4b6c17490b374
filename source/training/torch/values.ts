// What a torch file holds, as TypeScript values: tensors, dicts, lists, tuples and Python scalars.
import {dataMatches, dtypeInfo, type DType, type TensorData, type TensorDataOf} from './dtypes.js';
import {fail} from './errors.js';

/** A contiguous (row-major) tensor: `data` holds exactly product(shape) elements. */
export type TorchTensor<D extends DType = DType> = {dtype: D; shape: number[]; data: TensorDataOf[D]};

/** A Python tuple (a plain JS array is a Python list). */
export class TorchTuple {
	constructor(readonly items: TorchValue[]) {}
}

/** collections.OrderedDict, as a state_dict is; `metadata` is its `_metadata` attribute (module versions). */
export class TorchOrderedDict extends Map<TorchKey, TorchValue> {
	metadata: TorchValue | undefined;
}

export type TorchKey = string | number;
/** Python None is null, int is number (bigint past 2^53), float is number, bytes is Uint8Array; a plain Map is a dict. */
export type TorchValue =
	| TorchTensor | Map<TorchKey, TorchValue> | TorchValue[] | TorchTuple
	| string | number | bigint | boolean | null | Uint8Array;

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function isTensor(value: unknown): value is TorchTensor {
	return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map)
		&& 'dtype' in value && 'shape' in value && 'data' in value;
}

/** Checks dtype, shape and data length agree; names the first thing that does not. */
export function checkTensor(t: TorchTensor, where = 'tensor'): void {
	if (!Object.hasOwn(dtypeInfo, t.dtype)) fail(`${where}: unsupported dtype ${String(t.dtype)}`);
	if (!Array.isArray(t.shape) || !t.shape.every(d => Number.isSafeInteger(d) && d >= 0)) fail(`${where}: shape must be non-negative integers, got [${String(t.shape)}]`);
	if (!ArrayBuffer.isView(t.data) || !dataMatches(t.dtype, t.data)) fail(`${where}: data is not the typed array for ${t.dtype}`);
	if (t.data.length !== numel(t.shape)) fail(`${where}: shape [${t.shape.join(', ')}] needs ${numel(t.shape)} elements, data has ${t.data.length}`);
}

/** A tensor from a shape and typed array, checked. */
export function tensor<D extends DType>(dtype: D, shape: number[], data: TensorDataOf[D]): TorchTensor<D> {
	const t = {dtype, shape, data};
	checkTensor(t);
	return t;
}

export type {TensorData};
