// IOTA's self-describing "blob" (spec 30017): [u16 LE version=1][u16 0][u64 LE trailer_offset] + raw bf16 payload + JSON trailer.
// Weights, pseudo-gradients and optimizer state use the sectioned trailer; merged partitions use the two-region trailer.
import {UserError} from '../errors.js';
import {bf16ToBytes, bytesToBf16} from './bf16.js';

export const BLOB_VERSION = 1;
export const BLOB_HEADER_LEN = 12;
/** Largest trailer a reader accepts: thousands of sections fit in well under this. */
export const MAX_TRAILER_BYTES = 4 * 1024 * 1024;
const BF16 = 'bfloat16';

export type BlobSection = {start_idx: number; end_idx: number; start_byte: number; end_byte: number};
export type WeightsTrailer = {dtype: 'bfloat16'; shape: number[]; sections: Record<string, BlobSection>; local_optimization_steps: number};
export type BlobRegion = {offset: number; length: number; dtype: 'bfloat16'; shape: number[]};
export type PartitionTrailer = {chunk_number: number; layer: number; regions: {weights: BlobRegion; optimizer_state: BlobRegion}};

function fail(message: string): never {
	throw new UserError(`bad blob: ${message}`);
}

export function packHeader(trailerOffset: number): Uint8Array {
	const out = new Uint8Array(BLOB_HEADER_LEN);
	const view = new DataView(out.buffer);
	view.setUint16(0, BLOB_VERSION, true);
	view.setUint16(2, 0, true);
	view.setBigUint64(4, BigInt(trailerOffset), true);
	return out;
}

/** Returns the trailer offset after checking length, version and the reserved word. */
export function parseHeader(header: Uint8Array): number {
	if (header.length < BLOB_HEADER_LEN) fail(`header is ${header.length} bytes, need ${BLOB_HEADER_LEN}`);
	const view = new DataView(header.buffer, header.byteOffset, BLOB_HEADER_LEN);
	const version = view.getUint16(0, true);
	if (version !== BLOB_VERSION) fail(`unsupported version ${version}, expected ${BLOB_VERSION}`);
	if (view.getUint16(2, true) !== 0) fail('reserved header word is not zero');
	const offset = view.getBigUint64(4, true);
	if (offset > BigInt(Number.MAX_SAFE_INTEGER)) fail(`trailer offset ${offset} is out of range`);
	const n = Number(offset);
	if (n < BLOB_HEADER_LEN) fail(`trailer offset ${n} is inside the header`);
	return n;
}

/** JSON as Python's json.dumps writes it (", " and ": " separators, ASCII only), so our trailers match theirs byte for byte. */
export function pythonJson(value: unknown): string {
	if (value === null) return 'null';
	if (typeof value === 'number') {
		if (!Number.isSafeInteger(value)) throw new Error(`trailer numbers must be safe integers, got ${value}`);
		return String(value);
	}
	if (typeof value === 'boolean') return value ? 'true' : 'false';
	if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
	if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
	if (typeof value === 'object') return `{${Object.entries(value as object).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
	throw new Error(`cannot write ${typeof value} into a trailer`);
}

function assemble(payloads: Uint8Array[], trailer: object): Uint8Array {
	const payloadLen = payloads.reduce((s, p) => s + p.length, 0);
	const trailerBytes = new TextEncoder().encode(pythonJson(trailer));
	const out = new Uint8Array(BLOB_HEADER_LEN + payloadLen + trailerBytes.length);
	out.set(packHeader(BLOB_HEADER_LEN + payloadLen), 0);
	let at = BLOB_HEADER_LEN;
	for (const p of payloads) { out.set(p, at); at += p.length; }
	out.set(trailerBytes, at);
	return out;
}

/** IOTA's split: floor(n / k) elements per section, the last one taking the remainder; bytes count the header. */
export function sectionLayout(numElements: number, numSections: number): Record<string, BlobSection> {
	if (!Number.isSafeInteger(numElements) || numElements < 0) throw new UserError(`element count must be a non-negative integer, got ${numElements}`);
	if (!Number.isSafeInteger(numSections) || numSections < 1) throw new UserError(`section count must be a positive integer, got ${numSections}`);
	const per = Math.floor(numElements / numSections);
	const sections: Record<string, BlobSection> = {};
	for (let i = 0; i < numSections; i++) {
		const start = i * per;
		const end = i < numSections - 1 ? start + per : numElements;
		// Key order as Python builds the dict: start_idx, end_idx, start_byte, end_byte.
		sections[String(i)] = {start_idx: start, end_idx: end, start_byte: BLOB_HEADER_LEN + 2 * start, end_byte: BLOB_HEADER_LEN + 2 * end};
	}
	return sections;
}

/** A weights or pseudo-gradient blob over a flat bf16 vector, in `numSections` sections (the run's partition count). */
export function buildWeightsBlob(values: Uint16Array, numSections: number, localOptimizationSteps: number): {bytes: Uint8Array; trailer: WeightsTrailer} {
	if (!Number.isSafeInteger(localOptimizationSteps) || localOptimizationSteps < 0) throw new UserError(`local_optimization_steps must be a non-negative integer, got ${localOptimizationSteps}`);
	const trailer: WeightsTrailer = {dtype: BF16, shape: [values.length], sections: sectionLayout(values.length, numSections), local_optimization_steps: localOptimizationSteps};
	return {bytes: assemble([bf16ToBytes(values)], trailer), trailer};
}

/** The flat optimizer state (see optimizerStateOrder) goes up as a one-section blob, as IOTA's miner does. */
export function buildOptimizerStateBlob(flatState: Uint16Array, localOptimizationSteps: number): {bytes: Uint8Array; trailer: WeightsTrailer} {
	return buildWeightsBlob(flatState, 1, localOptimizationSteps);
}

/** A merged partition: the chunk's new weights then its outer-momentum buffer, both flat bf16. */
export function buildPartitionBlob(p: {weights: Uint16Array; optimizerState: Uint16Array; chunkNumber: number; layer: number}): {bytes: Uint8Array; trailer: PartitionTrailer} {
	for (const [name, v] of [['chunk_number', p.chunkNumber], ['layer', p.layer]] as const) {
		if (!Number.isSafeInteger(v) || v < 0) throw new UserError(`${name} must be a non-negative integer, got ${v}`);
	}
	const wLen = 2 * p.weights.length;
	const oLen = 2 * p.optimizerState.length;
	const trailer: PartitionTrailer = {
		chunk_number: p.chunkNumber,
		layer: p.layer,
		regions: {
			weights: {offset: BLOB_HEADER_LEN, length: wLen, dtype: BF16, shape: [p.weights.length]},
			optimizer_state: {offset: BLOB_HEADER_LEN + wLen, length: oLen, dtype: BF16, shape: [p.optimizerState.length]},
		},
	};
	return {bytes: assemble([bf16ToBytes(p.weights), bf16ToBytes(p.optimizerState)], trailer), trailer};
}

/**
 * Optimizer state order, as IOTA's vector utils flatten `optimizer.state_dict()["state"]`: parameter by parameter,
 * each state tensor in its insertion order, skipping "step". For torch NAdam that is mu_product, exp_avg, exp_avg_sq.
 */
export function flattenOptimizerState(perParam: Array<Array<[name: string, values: Uint16Array]>>): Uint16Array {
	const parts = perParam.flatMap(entries => entries.filter(([name]) => name !== 'step').map(([, v]) => v));
	const out = new Uint16Array(parts.reduce((s, p) => s + p.length, 0));
	let at = 0;
	for (const p of parts) { out.set(p, at); at += p.length; }
	return out;
}

// ---- validation ----

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
function count(v: unknown, what: string): number {
	if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what} is not a non-negative integer`);
	return v as number;
}
function shapeElements(v: unknown, what: string): number {
	if (!Array.isArray(v) || v.length === 0 || v.length > 8) fail(`${what} shape is not a list of 1 to 8 sizes`);
	let n = 1;
	for (const d of v as unknown[]) n *= count(d, `${what} shape entry`);
	if (!Number.isSafeInteger(n)) fail(`${what} shape is too large`);
	return n;
}
function checkDtype(v: unknown, what: string): void {
	if (v !== BF16) fail(`${what} dtype ${JSON.stringify(v)} is not supported (only bfloat16)`);
}

/** Decodes trailer bytes: size cap, UTF-8, JSON object. */
export function decodeTrailer(bytes: Uint8Array): Record<string, unknown> {
	if (bytes.length > MAX_TRAILER_BYTES) fail(`trailer is ${bytes.length} bytes, more than ${MAX_TRAILER_BYTES}`);
	let parsed: unknown;
	try { parsed = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(bytes)); } catch { fail('trailer is not valid UTF-8 JSON'); }
	if (!isObject(parsed)) fail('trailer is not a JSON object');
	return parsed as Record<string, unknown>;
}

/** Checks a sectioned trailer against the payload that ends at `trailerOffset`: known dtype, sizes agree, sections contiguous, complete and in bounds. */
export function validateWeightsTrailer(t: Record<string, unknown>, trailerOffset: number): WeightsTrailer {
	checkDtype(t.dtype, 'tensor');
	const n = shapeElements(t.shape, 'tensor');
	if (BLOB_HEADER_LEN + 2 * n !== trailerOffset) fail(`shape holds ${n} elements but the payload is ${trailerOffset - BLOB_HEADER_LEN} bytes`);
	count(t.local_optimization_steps, 'local_optimization_steps');
	if (!isObject(t.sections)) fail('sections is not an object');
	const sections = t.sections as Record<string, unknown>;
	const k = Object.keys(sections).length;
	if (k === 0) fail('no sections');
	let expected = 0;
	for (let i = 0; i < k; i++) {
		const s = sections[String(i)];
		if (!isObject(s)) fail(`section keys are not 0..${k - 1}`);
		const sec = s as Record<string, unknown>;
		const [a, b, ab, bb] = (['start_idx', 'end_idx', 'start_byte', 'end_byte'] as const).map(f => count(sec[f], `section ${i} ${f}`)) as [number, number, number, number];
		if (a !== expected) fail(`section ${i} starts at ${a}, expected ${expected} (overlap or gap)`);
		if (b < a || b > n) fail(`section ${i} ends at ${b}, outside ${a}..${n}`);
		if (ab !== BLOB_HEADER_LEN + 2 * a || bb !== BLOB_HEADER_LEN + 2 * b) fail(`section ${i} byte range ${ab}..${bb} does not match its elements ${a}..${b}`);
		expected = b;
	}
	if (expected !== n) fail(`sections cover ${expected} of ${n} elements`);
	return t as WeightsTrailer;
}

/** Checks a partition trailer: both regions bf16, back to back after the header, sizes matching their shapes, ending at the trailer. */
export function validatePartitionTrailer(t: Record<string, unknown>, trailerOffset: number): PartitionTrailer {
	count(t.chunk_number, 'chunk_number');
	count(t.layer, 'layer');
	if (!isObject(t.regions)) fail('regions is not an object');
	const regions = t.regions as Record<string, unknown>;
	let at = BLOB_HEADER_LEN;
	for (const name of ['weights', 'optimizer_state'] as const) {
		const r = regions[name];
		if (!isObject(r)) fail(`region ${name} is missing`);
		const reg = r as Record<string, unknown>;
		checkDtype(reg.dtype, `region ${name}`);
		const offset = count(reg.offset, `region ${name} offset`);
		const length = count(reg.length, `region ${name} length`);
		if (offset !== at) fail(`region ${name} starts at ${offset}, expected ${at}`);
		if (length !== 2 * shapeElements(reg.shape, `region ${name}`)) fail(`region ${name} length ${length} does not match its shape`);
		at = offset + length;
	}
	if (at !== trailerOffset) fail(`regions end at ${at} but the trailer starts at ${trailerOffset}`);
	return t as PartitionTrailer;
}

function split(blob: Uint8Array): {trailerOffset: number; trailer: Record<string, unknown>} {
	const trailerOffset = parseHeader(blob);
	if (trailerOffset > blob.length) fail(`trailer offset ${trailerOffset} is past the end (${blob.length} bytes)`);
	return {trailerOffset, trailer: decodeTrailer(blob.subarray(trailerOffset))};
}

/** Reads a whole weights / pseudo-gradient / optimizer-state blob. */
export function readWeightsBlob(blob: Uint8Array): {trailer: WeightsTrailer; values: Uint16Array} {
	const {trailerOffset, trailer} = split(blob);
	const t = validateWeightsTrailer(trailer, trailerOffset);
	return {trailer: t, values: bytesToBf16(blob.subarray(BLOB_HEADER_LEN, trailerOffset))};
}

/** Reads a whole partition blob. */
export function readPartitionBlob(blob: Uint8Array): {trailer: PartitionTrailer; weights: Uint16Array; optimizerState: Uint16Array} {
	const {trailerOffset, trailer} = split(blob);
	const t = validatePartitionTrailer(trailer, trailerOffset);
	const {weights: w, optimizer_state: o} = t.regions;
	return {trailer: t, weights: bytesToBf16(blob.subarray(w.offset, w.offset + w.length)), optimizerState: bytesToBf16(blob.subarray(o.offset, o.offset + o.length))};
}

/** One section of a validated trailer, or a one-line refusal when it has no such section. */
export function sectionOf(trailer: WeightsTrailer, index: number): BlobSection {
	const s = Object.hasOwn(trailer.sections, String(index)) ? trailer.sections[String(index)] : undefined;
	if (!s) fail(`no section ${index} (blob has ${Object.keys(trailer.sections).length})`);
	return s as BlobSection;
}
