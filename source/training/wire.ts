// Activations, gradients and token ids between miners as torch.save tensors, as IOTA's miners send them:
// activations and gradients bfloat16, token ids int64. Decoding refuses anything else with a one-line reason.
import {UserError} from '../errors.js';
import {assertFinite, type TensorData} from './tensor-data.js';
import {bf16ToFloat32, float32ToBf16, isTensor, loadTorch, saveTorch, tensor, type TorchLimits} from './torch/index.js';

/** int32 ids -> int64 tensor; float32 -> bfloat16 tensor (round to nearest even). NaN/Inf is refused. */
export function encodeWire(t: TensorData): Uint8Array {
	if (t.dtype === 'int32') return saveTorch(tensor('int64', [...t.shape], BigInt64Array.from(new Int32Array(t.data), v => BigInt(v))));
	const v = new Float32Array(t.data);
	assertFinite(v, 'activation');
	const bf = float32ToBf16(v);
	assertFinite(bf16ToFloat32(bf), 'activation in bfloat16'); // a huge float32 rounds to Inf
	return saveTorch(tensor('bfloat16', [...t.shape], bf));
}

/** What a received object must be: token ids or a float activation/gradient, with fixed sizes where not null. */
export type WireExpect = {kind: 'ids' | 'activation'; shape: Array<number | null>; what: string};

/**
 * Caps for one tensor from a peer. torch.save stores entries uncompressed, so they never add up to
 * more than the file: a deflated entry declaring more (a zip bomb) is refused before it is inflated.
 */
export const wireLimits = (bytes: Uint8Array): Partial<TorchLimits> => ({maxTotalBytes: Math.max(bytes.length, 4096), maxEntries: 64});

export function decodeWire(bytes: Uint8Array, expect: WireExpect): TensorData {
	const {what} = expect;
	let value;
	try { value = loadTorch(bytes, wireLimits(bytes)); } catch (error) { throw new UserError(`${what} is not a torch.save file: ${(error as Error).message}`); }
	if (!isTensor(value)) throw new UserError(`${what} is not a tensor`);
	const want = expect.kind === 'ids' ? 'int64' : 'bfloat16';
	if (value.dtype !== want) throw new UserError(`${what} is ${value.dtype}, expected ${want}`);
	const shapeOk = value.shape.length === expect.shape.length && expect.shape.every((n, i) => n === null || n === value.shape[i]);
	if (!shapeOk) throw new UserError(`${what} has shape [${value.shape}], expected [${expect.shape.map(n => n ?? '*')}]`);
	if (expect.kind === 'ids') {
		const ids = Int32Array.from(value.data as BigInt64Array, v => {
			if (v < 0n || v > 0x7fffffffn) throw new UserError(`${what} holds token id ${v}, outside int32`);
			return Number(v);
		});
		return {dtype: 'int32', shape: [...value.shape], data: ids.buffer as ArrayBuffer};
	}
	const f = bf16ToFloat32(value.data as Uint16Array);
	assertFinite(f, what);
	return {dtype: 'float32', shape: [...value.shape], data: f.buffer as ArrayBuffer};
}
