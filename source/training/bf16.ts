// Flat bf16 vectors as IOTA v1 stores weights and AdamW state: raw little-endian bf16 bytes plus a
// metadata JSON with `num_sections` equal sections (the last takes the remainder), and the section merge.
import {UserError} from '../errors.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** fp32 -> bf16 with round-to-nearest-even (as torch does); NaN stays NaN. */
export function toBf16(values: Float32Array): Uint16Array {
	const out = new Uint16Array(values.length);
	for (let i = 0; i < values.length; i++) {
		f32[0] = values[i]!;
		const bits = u32[0]!;
		if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) { out[i] = (bits >>> 16) | 0x40; continue; }
		out[i] = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
	}
	return out;
}

export function fromBf16(values: Uint16Array): Float32Array {
	const out = new Float32Array(values.length);
	const bits = new Uint32Array(out.buffer);
	for (let i = 0; i < values.length; i++) bits[i] = values[i]! << 16;
	return out;
}

/** bf16 vector to little-endian bytes (and back), independent of host byte order. */
export function bf16ToBytes(values: Uint16Array): Uint8Array {
	const out = new Uint8Array(values.length * 2);
	const view = new DataView(out.buffer);
	for (let i = 0; i < values.length; i++) view.setUint16(2 * i, values[i]!, true);
	return out;
}

export function bytesToBf16(bytes: Uint8Array): Uint16Array {
	if (bytes.length % 2 !== 0) throw new UserError(`bf16 data has an odd byte count (${bytes.length})`);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const out = new Uint16Array(bytes.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = view.getUint16(2 * i, true);
	return out;
}

export type Section = {start_byte: number; end_byte: number; start_idx: number; end_idx: number};
export type VectorMetadata = {
	tensor: {dtype: 'torch.bfloat16'; size: number[]; num_elements: number; element_size: 2; total_bytes: number};
	sections: Record<string, Section>;
};

/** v1 metadata: `numSections` sections of floor(n / numSections) elements, the last taking the remainder. */
export function vectorMetadata(numElements: number, numSections: number): VectorMetadata {
	if (!Number.isInteger(numElements) || numElements < 1) throw new UserError(`vector length must be a positive integer, got ${numElements}`);
	if (!Number.isInteger(numSections) || numSections < 1 || numSections > numElements) throw new UserError(`num_sections must be an integer in 1..${numElements}, got ${numSections}`);
	const per = Math.floor(numElements / numSections);
	const sections: Record<string, Section> = {};
	for (let i = 0; i < numSections; i++) {
		const start = i * per;
		const end = i === numSections - 1 ? numElements : start + per;
		sections[String(i)] = {start_byte: start * 2, end_byte: end * 2, start_idx: start, end_idx: end};
	}
	return {tensor: {dtype: 'torch.bfloat16', size: [numElements], num_elements: numElements, element_size: 2, total_bytes: numElements * 2}, sections};
}

export function getSection(meta: VectorMetadata, index: number): Section {
	const s = meta.sections[String(index)];
	if (!s) throw new UserError(`section ${index} not in metadata (has ${Object.keys(meta.sections).length})`);
	return s;
}

/** Checks a metadata object read from storage before its numbers are trusted. */
export function parseMetadata(json: unknown): VectorMetadata {
	const m = json as VectorMetadata;
	const t = m?.tensor;
	if (!t || t.dtype !== 'torch.bfloat16' || t.element_size !== 2 || t.total_bytes !== t.num_elements * 2) throw new UserError('weight metadata: tensor must be torch.bfloat16 with total_bytes = 2 * num_elements');
	if (!m.sections || typeof m.sections !== 'object') throw new UserError('weight metadata: missing sections');
	let expect = 0;
	const keys = Object.keys(m.sections).sort((a, b) => Number(a) - Number(b));
	for (const k of keys) {
		const s = m.sections[k]!;
		if (s.start_idx !== expect || s.end_idx <= s.start_idx || s.start_byte !== 2 * s.start_idx || s.end_byte !== 2 * s.end_idx) throw new UserError(`weight metadata: section ${k} is not contiguous`);
		expect = s.end_idx;
	}
	if (expect !== t.num_elements) throw new UserError(`weight metadata: sections cover ${expect} of ${t.num_elements} elements`);
	return m;
}

/** Weighted fp32 mean of several miners' copies of one section, cast to bf16. Weights are 1 + backward passes. */
export function mergeSection(parts: Uint16Array[], weights: number[]): Uint16Array {
	if (parts.length === 0) throw new UserError('merge needs at least one section');
	if (parts.length !== weights.length) throw new UserError(`merge got ${parts.length} sections but ${weights.length} weights`);
	const n = parts[0]!.length;
	if (parts.some(p => p.length !== n)) throw new UserError('merge sections differ in length');
	if (weights.some(w => !(w > 0) || !Number.isFinite(w))) throw new UserError('merge weights must be positive finite numbers');
	const total = weights.reduce((a, b) => a + b, 0);
	const acc = new Float32Array(n);
	parts.forEach((p, k) => {
		const x = fromBf16(p);
		const w = Math.fround(weights[k]! / total);
		for (let i = 0; i < n; i++) acc[i] = acc[i]! + w * x[i]!;
	});
	for (let i = 0; i < n; i++) if (!Number.isFinite(acc[i]!)) throw new UserError(`merged section has a non-finite value at element ${i}`);
	return toBf16(acc);
}

/** Writes a merged section into a full vector in place; every element outside the section is left as it was. */
export function applySection(vector: Uint16Array, section: Section, merged: Uint16Array): void {
	if (merged.length !== section.end_idx - section.start_idx) throw new UserError(`merged section has ${merged.length} elements, section needs ${section.end_idx - section.start_idx}`);
	if (section.end_idx > vector.length) throw new UserError('section lies outside the vector');
	vector.set(merged, section.start_idx);
}
