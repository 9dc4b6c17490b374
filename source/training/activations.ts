// Wire format for activations and gradients between stages: a small header then raw little-endian data.
// Header: "IOTA" (4 bytes), version u8 = 1, dtype u8 (0 float32, 1 bfloat16, 2 int32), ndim u8, pad u8,
// then ndim u32 dims. NaN or Inf is rejected on both sides.
import {UserError} from '../errors.js';
import {bf16ToBytes, bytesToBf16, fromBf16, toBf16} from './bf16.js';
import type {TensorData} from './tensor-data.js';

export type WireDtype = 'float32' | 'bfloat16' | 'int32';
const codes: WireDtype[] = ['float32', 'bfloat16', 'int32'];
const MAGIC = [0x49, 0x4f, 0x54, 0x41];

function checkFinite(values: Float32Array, what: string) {
	for (let i = 0; i < values.length; i++) {
		if (!Number.isFinite(values[i]!)) throw new UserError(`${what} contains ${Number.isNaN(values[i]!) ? 'NaN' : 'Inf'} at element ${i}; refusing to send or use it`);
	}
}

/** Serialises a tensor; float data can be sent as bf16 (IOTA sends bf16 activations). */
export function encodeActivation(t: TensorData, wire: WireDtype = t.dtype): Uint8Array {
	const n = t.shape.reduce((a, b) => a * b, 1);
	if (t.shape.some(d => !Number.isInteger(d) || d < 0)) throw new UserError(`bad shape [${t.shape}]`);
	let body: Uint8Array;
	if (t.dtype === 'int32') {
		if (wire !== 'int32') throw new UserError('int32 tensors are sent as int32');
		const v = new Int32Array(t.data);
		if (v.length !== n) throw new UserError(`tensor has ${v.length} elements, shape needs ${n}`);
		body = new Uint8Array(n * 4);
		const view = new DataView(body.buffer);
		v.forEach((x, i) => view.setInt32(4 * i, x, true));
	} else {
		const v = new Float32Array(t.data);
		if (v.length !== n) throw new UserError(`tensor has ${v.length} elements, shape needs ${n}`);
		checkFinite(v, 'activation');
		if (wire === 'bfloat16') body = bf16ToBytes(toBf16(v));
		else if (wire === 'float32') {
			body = new Uint8Array(n * 4);
			const view = new DataView(body.buffer);
			v.forEach((x, i) => view.setFloat32(4 * i, x, true));
		} else throw new UserError('float tensors are sent as float32 or bfloat16');
	}
	const header = new Uint8Array(8 + 4 * t.shape.length);
	const hv = new DataView(header.buffer);
	header.set(MAGIC, 0);
	hv.setUint8(4, 1);
	hv.setUint8(5, codes.indexOf(wire));
	hv.setUint8(6, t.shape.length);
	t.shape.forEach((d, i) => hv.setUint32(8 + 4 * i, d, true));
	const out = new Uint8Array(header.length + body.length);
	out.set(header, 0);
	out.set(body, header.length);
	return out;
}

/** Parses and checks a serialised tensor; bf16 comes back as float32. */
export function decodeActivation(bytes: Uint8Array): TensorData & {wire: WireDtype} {
	if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) throw new UserError('activation data is not in the IOTA tensor format (bad magic)');
	const hv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (hv.getUint8(4) !== 1) throw new UserError(`activation format version ${hv.getUint8(4)} is not supported`);
	const wire = codes[hv.getUint8(5)];
	if (!wire) throw new UserError(`activation has unknown dtype code ${hv.getUint8(5)}`);
	const ndim = hv.getUint8(6);
	const headerLen = 8 + 4 * ndim;
	if (bytes.length < headerLen) throw new UserError('activation header is truncated');
	const shape = Array.from({length: ndim}, (_, i) => hv.getUint32(8 + 4 * i, true));
	const n = shape.reduce((a, b) => a * b, 1);
	const size = wire === 'bfloat16' ? 2 : 4;
	if (bytes.length - headerLen !== n * size) throw new UserError(`activation body has ${bytes.length - headerLen} bytes, shape [${shape}] as ${wire} needs ${n * size}`);
	const body = bytes.subarray(headerLen);
	const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
	if (wire === 'int32') {
		const v = new Int32Array(n);
		for (let i = 0; i < n; i++) v[i] = bv.getInt32(4 * i, true);
		return {dtype: 'int32', shape, data: v.buffer, wire};
	}
	let v: Float32Array;
	if (wire === 'bfloat16') v = fromBf16(bytesToBf16(body));
	else {
		v = new Float32Array(n);
		for (let i = 0; i < n; i++) v[i] = bv.getFloat32(4 * i, true);
	}
	checkFinite(v, 'received activation');
	return {dtype: 'float32', shape, data: v.buffer as ArrayBuffer, wire};
}
