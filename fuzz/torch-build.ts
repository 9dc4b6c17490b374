// Builders for hostile torch.save files: raw pickle opcodes, a tensor pickle with chosen sizes,
// and zips with chosen compression, declared sizes, duplicate names and directory lies.
import {crc32, deflateRawSync} from 'node:zlib';
import {PickleWriter} from '../source/training/torch/pickle-write.js';
import {writeZip} from '../source/training/torch/zip-write.js';

const enc = new TextEncoder();

/** A pickle from raw opcodes: strings as latin-1 bytes, numbers as single bytes. */
export const ops = (...parts: Array<string | number>): Uint8Array =>
	Uint8Array.from(parts.flatMap(p => (typeof p === 'number' ? [p] : [...p].map(c => c.charCodeAt(0)))));

export type TensorSpec = {storage: string; key?: string; numel: number | bigint; size: Array<number | bigint>; stride: Array<number | bigint>; offset?: number | bigint; module?: string};

/** torch._utils._rebuild_tensor_v2 of one storage, every number as given (lies included). */
export function tensorPickle(t: TensorSpec): Uint8Array {
	const w = new PickleWriter();
	w.proto();
	w.global('torch._utils', '_rebuild_tensor_v2');
	w.mark(); w.mark();
	w.string('storage'); w.global(t.module ?? 'torch', t.storage); w.string(t.key ?? '0'); w.string('cpu'); w.int(t.numel); w.tuple(5);
	w.persid(); w.int(t.offset ?? 0);
	w.mark(); t.size.forEach(x => w.int(x)); w.op(0x74);
	w.mark(); t.stride.forEach(x => w.int(x)); w.op(0x74);
	w.bool(false); w.global('collections', 'OrderedDict'); w.emptyTuple(); w.reduce();
	w.tuple(6); w.reduce();
	return w.stop();
}

/** The layout torch.save writes: archive/data.pkl, archive/data/<i>, archive/version (stored). */
export const torchZip = (pkl: Uint8Array, storages: Uint8Array[] = [], prefix = 'archive'): Uint8Array =>
	writeZip([[`${prefix}/data.pkl`, pkl], ...storages.map((s, i) => [`${prefix}/data/${i}`, s] as [string, Uint8Array]), [`${prefix}/version`, enc.encode('3\n')]]);

export type RawEntry = {name: string; data: Uint8Array; deflate?: boolean; declared?: number; crc?: number};

/** A zip with entries exactly as given (duplicates allowed), deflated or stored, sizes declared as told. */
export function rawZip(entries: RawEntry[], o: {count?: number; cdOffsetDelta?: number} = {}): Uint8Array {
	const parts: Buffer[] = [];
	const central: Buffer[] = [];
	let offset = 0;
	for (const e of entries) {
		const packed = e.deflate ? deflateRawSync(e.data) : Buffer.from(e.data);
		const name = Buffer.from(e.name);
		const size = e.declared ?? e.data.length;
		const crc = e.crc ?? crc32(e.data);
		const method = e.deflate ? 8 : 0;
		const local = Buffer.alloc(30);
		local.writeUInt32LE(0x04034b50); local.writeUInt16LE(method, 8);
		local.writeUInt32LE(crc >>> 0, 14); local.writeUInt32LE(e.deflate ? packed.length : size, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
		const c = Buffer.alloc(46);
		c.writeUInt32LE(0x02014b50); c.writeUInt16LE(method, 10); c.writeUInt32LE(crc >>> 0, 16);
		c.writeUInt32LE(e.deflate ? packed.length : size, 20); c.writeUInt32LE(size, 24); c.writeUInt16LE(name.length, 28); c.writeUInt32LE(offset, 42);
		parts.push(local, name, packed);
		central.push(c, name);
		offset += 30 + name.length + packed.length;
	}
	const cd = Buffer.concat(central);
	const end = Buffer.alloc(22);
	const count = o.count ?? entries.length;
	end.writeUInt32LE(0x06054b50); end.writeUInt16LE(count & 0xffff, 8); end.writeUInt16LE(count & 0xffff, 10);
	end.writeUInt32LE(cd.length, 12); end.writeUInt32LE((offset + (o.cdOffsetDelta ?? 0)) >>> 0, 16);
	return Buffer.concat([...parts, cd, end]);
}

/** The position of the end-of-central-directory record (last 22 bytes when there is no comment). */
export const eocdAt = (zip: Uint8Array): number => zip.length - 22;

/** A copy of `zip` with one little-endian field of the EOCD record set to `value`. */
export function withEocd(zip: Uint8Array, field: 'count' | 'size' | 'offset', value: number): Uint8Array {
	const out = Buffer.from(zip);
	const at = eocdAt(out);
	if (field === 'count') { out.writeUInt16LE(value & 0xffff, at + 8); out.writeUInt16LE(value & 0xffff, at + 10); }
	if (field === 'size') out.writeUInt32LE(value >>> 0, at + 12);
	if (field === 'offset') out.writeUInt32LE(value >>> 0, at + 16);
	return out;
}

/** Deterministic 32-bit PRNG (mulberry32): the same seed gives the same mutations every run. */
export function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
	};
}
