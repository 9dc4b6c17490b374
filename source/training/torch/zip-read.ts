// Zip reader for torch files: central directory (zip64 too), stored and deflated entries, checked sizes and CRCs.
import {crc32, inflateRawSync} from 'node:zlib';
import {fail} from './errors.js';
import type {TorchLimits} from './limits.js';

export type ZipEntry = {name: string; method: number; crc: number; compressedSize: number; size: number; dataStart: number};

const MAX32 = 0xffffffff;
const utf8 = new TextDecoder('utf-8', {fatal: true});

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u64 = (v: DataView, at: number) => Number(v.getBigUint64(at, true));

function findEndRecord(bytes: Uint8Array, v: DataView): number {
	const lowest = Math.max(0, bytes.length - 22 - 0xffff);
	for (let at = bytes.length - 22; at >= lowest; at--) if (v.getUint32(at, true) === 0x06054b50) return at;
	return fail('not a zip file (no end of central directory record; truncated?)');
}

type Directory = {count: number; offset: number; size: number};

function readDirectory(bytes: Uint8Array, v: DataView): Directory {
	const end = findEndRecord(bytes, v);
	let dir: Directory = {count: v.getUint16(end + 10, true), size: v.getUint32(end + 12, true), offset: v.getUint32(end + 16, true)};
	// A zip64 locator sits just before the end record; torch always writes one.
	if (end >= 20 && v.getUint32(end - 20, true) === 0x07064b50) {
		const at = u64(v, end - 12);
		if (at + 56 > bytes.length || v.getUint32(at, true) !== 0x06064b50) fail('zip64 end of central directory record is missing or out of range');
		dir = {count: u64(v, at + 32), size: u64(v, at + 40), offset: u64(v, at + 48)};
	}
	if (dir.offset + dir.size > bytes.length) fail(`zip central directory (${dir.size} bytes at ${dir.offset}) runs past the end of the ${bytes.length}-byte file (truncated?)`);
	return dir;
}

/** Zip64 extra field (id 1): only the fields whose 32-bit slot held 0xffffffff are present, in this order. */
function applyZip64(v: DataView, from: number, to: number, e: {size: number; compressedSize: number; offset: number}): void {
	for (let at = from; at + 4 <= to;) {
		const id = v.getUint16(at, true), len = v.getUint16(at + 2, true);
		if (id === 1) {
			let p = at + 4;
			const next = () => { if (p + 8 > at + 4 + len) fail('zip64 extra field is too short'); const x = u64(v, p); p += 8; return x; };
			if (e.size === MAX32) e.size = next();
			if (e.compressedSize === MAX32) e.compressedSize = next();
			if (e.offset === MAX32) e.offset = next();
		}
		at += 4 + len;
	}
}

export function checkEntryName(name: string): void {
	const parts = name.split('/');
	if (name.includes('\\') || name.includes('\0') || name.startsWith('/') || parts.includes('..') || parts.includes('.'))
		fail(`zip entry name ${JSON.stringify(name.slice(0, 200))} is not a plain relative path`);
}

function readCentralEntry(bytes: Uint8Array, v: DataView, at: number): {entry: ZipEntry; next: number} {
	if (at + 46 > bytes.length || v.getUint32(at, true) !== 0x02014b50) fail(`bad zip central directory entry at offset ${at}`);
	const flags = v.getUint16(at + 8, true);
	const nameLen = v.getUint16(at + 28, true), extraLen = v.getUint16(at + 30, true), commentLen = v.getUint16(at + 32, true);
	const next = at + 46 + nameLen + extraLen + commentLen;
	if (next > bytes.length) fail(`zip central directory entry at offset ${at} runs past the end of the file`);
	let name: string;
	try { name = utf8.decode(bytes.subarray(at + 46, at + 46 + nameLen)); } catch { return fail(`zip entry name at offset ${at} is not UTF-8`); }
	checkEntryName(name);
	if (flags & 1) fail(`zip entry ${name} is encrypted`);
	const e = {size: v.getUint32(at + 24, true), compressedSize: v.getUint32(at + 20, true), offset: v.getUint32(at + 42, true)};
	applyZip64(v, at + 46 + nameLen, at + 46 + nameLen + extraLen, e);
	const local = e.offset;
	if (local + 30 > bytes.length || v.getUint32(local, true) !== 0x04034b50) fail(`zip entry ${name}: no local header at offset ${local}`);
	const dataStart = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
	if (dataStart + e.compressedSize > bytes.length) fail(`zip entry ${name} (${e.compressedSize} bytes at ${dataStart}) runs past the end of the file (truncated?)`);
	const method = v.getUint16(at + 10, true);
	if (method !== 0 && method !== 8) fail(`zip entry ${name} uses compression method ${method} (only stored and deflated are read)`);
	return {entry: {name, method, crc: v.getUint32(at + 16, true), compressedSize: e.compressedSize, size: e.size, dataStart}, next};
}

/** Lists a zip's entries by name; declared sizes are checked against the limits before anything is inflated. */
export function readZipDirectory(bytes: Uint8Array, limits: TorchLimits): Map<string, ZipEntry> {
	if (bytes.length > limits.maxTotalBytes) fail(`torch file is ${bytes.length} bytes, over the ${limits.maxTotalBytes}-byte limit`);
	const v = view(bytes);
	const dir = readDirectory(bytes, v);
	if (dir.count > limits.maxEntries) fail(`zip declares ${dir.count} entries, over the limit of ${limits.maxEntries}`);
	const entries = new Map<string, ZipEntry>();
	let total = 0;
	let at = dir.offset;
	for (let i = 0; i < dir.count; i++) {
		const {entry, next} = readCentralEntry(bytes, v, at);
		if (entries.has(entry.name)) fail(`zip entry ${entry.name} appears twice`);
		total += entry.size;
		if (total > limits.maxTotalBytes) fail(`zip entries declare over ${limits.maxTotalBytes} bytes in all (at ${entry.name}, ${entry.size} bytes)`);
		entries.set(entry.name, entry);
		at = next;
	}
	// A directory whose entries do not fill exactly its declared size was cut or crafted: zip readers would disagree on it.
	if (at !== dir.offset + dir.size) fail(`zip central directory declares ${dir.size} bytes, its ${dir.count} entries take ${at - dir.offset}`);
	return entries;
}

/** An entry's bytes (a view for stored entries), inflated no further than its declared size, CRC checked. */
export function readZipEntry(bytes: Uint8Array, e: ZipEntry): Uint8Array {
	const raw = bytes.subarray(e.dataStart, e.dataStart + e.compressedSize);
	let data: Uint8Array = raw;
	if (e.method === 8) {
		try {
			data = inflateRawSync(raw, {maxOutputLength: Math.max(1, e.size)});
		} catch (error) {
			const why = (error as {code?: string}).code === 'ERR_BUFFER_TOO_LARGE' ? `inflates past its declared ${e.size} bytes` : 'is not valid deflate data';
			return fail(`zip entry ${e.name} ${why}`);
		}
	}
	if (data.length !== e.size) fail(`zip entry ${e.name} holds ${data.length} bytes, its header says ${e.size}`);
	if ((crc32(data) >>> 0) !== e.crc) fail(`zip entry ${e.name} fails its CRC-32 check (corrupt file)`);
	return data;
}
