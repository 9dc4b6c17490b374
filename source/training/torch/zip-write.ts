// Zip writer laid out as torch's PyTorchStreamWriter does: stored entries, data 64-byte aligned by an
// "FB" padding extra field, a data descriptor after each entry, and always a zip64 end record.
import {crc32} from 'node:zlib';
import {fail} from './errors.js';

const MAX32 = 0xffffffff;
const ALIGN = 64;
const enc = new TextEncoder();

type Planned = {name: Uint8Array; data: Uint8Array; crc: number; offset: number; big: boolean; pad: number; headerLen: number};

/** Padding so the data after the local header (and its zip64 extra, if any) starts at a multiple of 64. */
function planEntry(name: Uint8Array, data: Uint8Array, offset: number): Planned {
	const big = data.length >= MAX32;
	const zip64Extra = big ? 20 : 0;
	const before = offset + 30 + name.length + zip64Extra + 4;
	const pad = (ALIGN - (before % ALIGN)) % ALIGN;
	return {name, data, crc: crc32(data) >>> 0, offset, big, pad, headerLen: 30 + name.length + zip64Extra + 4 + pad};
}

const descriptorLen = (p: Planned) => (p.big ? 24 : 16);
const centralExtraLen = (p: Planned) => (p.big || p.offset >= MAX32 ? 4 + (p.big ? 16 : 0) + (p.offset >= MAX32 ? 8 : 0) : 0);

class Out {
	readonly bytes: Uint8Array;
	readonly v: DataView;
	at = 0;
	constructor(size: number) { this.bytes = new Uint8Array(size); this.v = new DataView(this.bytes.buffer); }
	u16(x: number) { this.v.setUint16(this.at, x, true); this.at += 2; }
	u32(x: number) { this.v.setUint32(this.at, x, true); this.at += 4; }
	u64(x: number) { this.v.setBigUint64(this.at, BigInt(x), true); this.at += 8; }
	put(b: Uint8Array) { this.bytes.set(b, this.at); this.at += b.length; }
}

function writeLocal(o: Out, p: Planned): void {
	o.u32(0x04034b50); o.u16(p.big ? 45 : 0); o.u16(0x0808); o.u16(0); o.u32(0); o.u32(0);
	o.u32(p.big ? MAX32 : 0); o.u32(p.big ? MAX32 : 0);
	o.u16(p.name.length); o.u16(p.headerLen - 30 - p.name.length); o.put(p.name);
	if (p.big) { o.u16(1); o.u16(16); o.u64(p.data.length); o.u64(p.data.length); }
	o.u16(0x4246); o.u16(p.pad); o.bytes.fill(0x5a, o.at, o.at + p.pad); o.at += p.pad;
	o.put(p.data);
	o.u32(0x08074b50); o.u32(p.crc);
	if (p.big) { o.u64(p.data.length); o.u64(p.data.length); } else { o.u32(p.data.length); o.u32(p.data.length); }
}

function writeCentral(o: Out, p: Planned): void {
	const size = p.big ? MAX32 : p.data.length;
	o.u32(0x02014b50); o.u16(0); o.u16(p.big ? 45 : 0); o.u16(0x0808); o.u16(0); o.u32(0); o.u32(p.crc);
	o.u32(size); o.u32(size); o.u16(p.name.length); o.u16(centralExtraLen(p)); o.u16(0); o.u16(0); o.u16(0); o.u32(0);
	o.u32(Math.min(p.offset, MAX32)); o.put(p.name);
	if (centralExtraLen(p)) {
		o.u16(1); o.u16(centralExtraLen(p) - 4);
		if (p.big) { o.u64(p.data.length); o.u64(p.data.length); }
		if (p.offset >= MAX32) o.u64(p.offset);
	}
}

function writeEnd(o: Out, count: number, dirOffset: number, dirSize: number): void {
	const zip64At = o.at;
	o.u32(0x06064b50); o.u64(44); o.u16(0x031e); o.u16(45); o.u32(0); o.u32(0);
	o.u64(count); o.u64(count); o.u64(dirSize); o.u64(dirOffset);
	o.u32(0x07064b50); o.u32(0); o.u64(zip64At); o.u32(1);
	o.u32(0x06054b50); o.u16(0); o.u16(0); o.u16(Math.min(count, 0xffff)); o.u16(Math.min(count, 0xffff));
	o.u32(Math.min(dirSize, MAX32)); o.u32(Math.min(dirOffset, MAX32)); o.u16(0);
}

/** One zip holding `entries` in order, uncompressed. */
export function writeZip(entries: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
	const planned: Planned[] = [];
	let offset = 0;
	for (const [name, data] of entries) {
		const p = planEntry(enc.encode(name), data, offset);
		if (p.name.length > 0xffff) fail(`zip entry name is too long (${p.name.length} bytes)`);
		planned.push(p);
		offset += p.headerLen + data.length + descriptorLen(p);
	}
	const dirOffset = offset;
	const dirSize = planned.reduce((n, p) => n + 46 + p.name.length + centralExtraLen(p), 0);
	const o = new Out(dirOffset + dirSize + 56 + 20 + 22);
	for (const p of planned) writeLocal(o, p);
	for (const p of planned) writeCentral(o, p);
	writeEnd(o, planned.length, dirOffset, dirSize);
	return o.bytes;
}
