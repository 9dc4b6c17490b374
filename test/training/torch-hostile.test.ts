// Hostile torch files: each is refused with a one-line TorchFormatError, nothing in them runs, nothing hangs.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {crc32, deflateRawSync} from 'node:zlib';
import {loadTorch, saveTorch, tensor, TorchFormatError, type TorchLimits, type TorchValue} from '../../source/training/torch/index.js';
import {PickleWriter} from '../../source/training/torch/pickle-write.js';
import {writeZip} from '../../source/training/torch/zip-write.js';

const dir = mkdtempSync(join(tmpdir(), 'iota-torch-hostile-'));
after(() => rmSync(dir, {recursive: true, force: true}));
const enc = new TextEncoder();

/** Asserts loading is refused with a one-line TorchFormatError matching `pattern`. */
function refused(bytes: Uint8Array, pattern: RegExp, limits?: Partial<TorchLimits>): void {
	assert.throws(() => loadTorch(bytes, limits), (error: unknown) => {
		assert.ok(error instanceof TorchFormatError, `not a TorchFormatError: ${String(error)}`);
		assert.doesNotMatch(error.message, /\n/);
		assert.match(error.message, pattern);
		return true;
	});
}

const torchZip = (pkl: Uint8Array, storages: Uint8Array[] = [], prefix = 'archive') =>
	writeZip([[`${prefix}/data.pkl`, pkl], ...storages.map((s, i) => [`${prefix}/data/${i}`, s] as [string, Uint8Array]), [`${prefix}/version`, enc.encode('3\n')]]);

/** A pickle from raw opcodes: strings are written as latin-1 bytes, numbers as single bytes. */
const ops = (...parts: Array<string | number>) => Uint8Array.from(parts.flatMap(p => (typeof p === 'number' ? [p] : [...p].map(c => c.charCodeAt(0)))));

/** _rebuild_tensor_v2 of one float32 storage ("0", `numel` elements) with the given size and stride. */
function tensorPickle(numel: number, size: number[], stride: number[], offset = 0): Uint8Array {
	const w = new PickleWriter();
	w.proto();
	w.global('torch._utils', '_rebuild_tensor_v2');
	w.mark(); w.mark();
	w.string('storage'); w.global('torch', 'FloatStorage'); w.string('0'); w.string('cpu'); w.int(numel); w.tuple(5);
	w.persid(); w.int(offset);
	w.mark(); size.forEach(x => w.int(x)); w.op(0x74);
	w.mark(); stride.forEach(x => w.int(x)); w.op(0x74);
	w.bool(false); w.global('collections', 'OrderedDict'); w.emptyTuple(); w.reduce();
	w.tuple(6); w.reduce();
	return w.stop();
}

test('a pickle that calls os.system (made by Python\'s pickle) is refused by name and never runs', () => {
	const marker = join(dir, 'pwned');
	const code = `import io, os, pickle, sys, zipfile
class Evil:
    def __reduce__(self): return (os.system, ('touch ' + sys.argv[1],))
b = io.BytesIO()
with zipfile.ZipFile(b, 'w') as z:
    z.writestr('archive/data.pkl', pickle.dumps({'w': Evil()}, protocol=2)); z.writestr('archive/version', '3\\n')
sys.stdout.buffer.write(b.getvalue())`;
	const bytes = execFileSync('/usr/bin/python3', ['-c', code, marker]);
	refused(bytes, /^pickle GLOBAL posix\.system is not allowed$/);
	assert.equal(existsSync(marker), false);
});

test('other globals, INST/OBJ/NEWOBJ and unknown opcodes are refused naming the opcode or global', () => {
	refused(torchZip(ops(0x80, 2, 'cbuiltins\neval\n', '(X', 4, 0, 0, 0, '1+1', 't', 'R.')), /GLOBAL builtins\.eval is not allowed/);
	refused(torchZip(ops(0x80, 2, 'X', 2, 0, 0, 0, 'os', 'X', 6, 0, 0, 0, 'system', 0x93, '.')), /GLOBAL os\.system is not allowed/);
	refused(torchZip(ops(0x80, 2, '(ios\nsystem\n.')), /opcode INST \(0x69\) at offset 3 is not allowed/);
	refused(torchZip(ops(0x80, 2, '(o.')), /opcode OBJ/);
	refused(torchZip(ops(0x80, 2, ')', 0x81, '.')), /opcode NEWOBJ/);
	refused(torchZip(ops(0x80, 2, 0xff, '.')), /opcode 0xff at offset 2 is not allowed/);
	// An allowed global used for something else: calling a storage class, or an OrderedDict with arguments.
	refused(torchZip(ops(0x80, 2, 'ctorch\nFloatStorage\n', ')R.')), /REDUCE calls torch\.FloatStorage, which is not allowed/);
	refused(torchZip(ops(0x80, 2, 'ctorch\nFloatStorage\n', '.')), /bare torch\.FloatStorage/);
	refused(torchZip(ops(0x80, 2, 'N', '(X', 7, 0, 0, 0, 'storage', 't', 'Q.')), /persistent id is not a \(storage/);
});

test('truncated and bit-flipped files are refused (or read), never crash with another error', () => {
	const good = saveTorch(new Map<string, TorchValue>([['w', tensor('float32', [4, 4], new Float32Array(16).fill(1.5))], ['n', 3]]));
	for (let n = 0; n < good.length; n++) refused(good.subarray(0, n), /./);
	let seed = 7;
	for (let i = 0; i < 2000; i++) {
		const bad = good.slice();
		seed = (seed * 1103515245 + 12345) >>> 0;
		bad[seed % bad.length] ^= 1 << ((seed >>> 16) % 8);
		try { loadTorch(bad); } catch (error) { assert.ok(error instanceof TorchFormatError, `flip ${i}: ${String(error)}`); assert.doesNotMatch((error as Error).message, /\n/); }
	}
});

test('a storage smaller than the tensor\'s shape needs is refused, also through strides and offsets', () => {
	const four = new Uint8Array(16);
	refused(torchZip(tensorPickle(4, [10], [1]), [four]), /shape \[10\] stride \[1\] offset 0 reaches element 9, but its storage holds 4/);
	refused(torchZip(tensorPickle(4, [2, 2], [2, 1], 1), [four]), /reaches element 4/);
	refused(torchZip(tensorPickle(4, [3], [2]), [four]), /reaches element 4/);
	refused(torchZip(tensorPickle(8, [2], [1]), [four]), /declares 8 float32 elements \(32 bytes\), its entry holds 16 bytes/);
	refused(torchZip(tensorPickle(4, [2], [1, 1]), [four]), /1 sizes but 2 strides/);
	// A simple strided view inside the storage is read correctly.
	const data = new Float32Array([0, 1, 2, 3]);
	const t = loadTorch(torchZip(tensorPickle(4, [2, 2], [1, 2]), [new Uint8Array(data.buffer)]));
	assert.deepEqual(t, {dtype: 'float32', shape: [2, 2], data: new Float32Array([0, 2, 1, 3])});
});

test('huge declared sizes are refused before anything is allocated', () => {
	refused(torchZip(tensorPickle(4, [2 ** 25, 2 ** 25], [0, 0]), [new Uint8Array(16)]), /shape \[33554432, 33554432\] has over 4294967296 elements/);
	refused(torchZip(tensorPickle(2 ** 40, [4], [1]), [new Uint8Array(16)]), /declares 1099511627776 float32 elements/);
	refused(torchZip(ops(0x80, 2, 'X', 0xff, 0xff, 0xff, 0x7f, '.')), /pickle is truncated \(needs 2147483647 bytes/);
	refused(torchZip(ops(0x80, 2, 0x8b, 0, 0, 0, 0x10, '.')), /integer of 268435456 bytes is too long/);
	// Entries that claim 4 GiB each: refused from the central directory alone.
	const huge = deflatedZip([{name: 'archive/data.pkl', data: ops(0x80, 2, 'N.'), declared: 0xf0000000}, {name: 'archive/data/0', data: new Uint8Array(8), declared: 0xf0000000}, {name: 'archive/data/1', data: new Uint8Array(8), declared: 0xf0000000}]);
	refused(huge, /zip entries declare over 8589934592 bytes in all \(at archive\/data\/1, 4026531840 bytes\)/);
	refused(saveTorch(tensor('float32', [1000], new Float32Array(1000))), /torch file is \d+ bytes, over the 1000-byte limit/, {maxTotalBytes: 1000});
	refused(saveTorch(tensor('float32', [1000], new Float32Array(1000))), /data\.pkl is \d+ bytes, over the 10-byte limit/, {maxPickleBytes: 10});
	refused(saveTorch([tensor('int64', [], new BigInt64Array(1)), tensor('int64', [], new BigInt64Array(1))]), /zip declares 4 entries, over the limit of 3/, {maxEntries: 3});
});

test('deep nesting, self-containing lists and exponential sharing are refused or read in linear time', () => {
	refused(torchZip(ops(0x80, 2, ...new Array(10_000).fill(0x28), '.')), /nests deeper than 64 MARKs/);
	// ]]a]a... : 10 000 lists each appended into the one below, no MARKs at all.
	refused(torchZip(ops(0x80, 2, ...new Array(10_000).fill(0x5d), ...new Array(9_999).fill(0x61), '.')), /nests containers deeper than 64/);
	refused(torchZip(ops(0x80, 2, ']q', 0, 'h', 0, 'a.')), /contains itself/);
	// L(i+1) = [L(i), L(i)] 60 times: 2^60 paths, 61 levels; must be measured once per list.
	const dag: Array<string | number> = [0x80, 2, ']q', 0];
	for (let i = 0; i < 60; i++) dag.push('0](h', i, 'h', i, 'eq', i + 1);
	dag.push('.');
	const value = loadTorch(torchZip(ops(...dag)));
	assert.ok(Array.isArray(value) && value.length === 2);
});

test('entry names with ../, absolute paths or outside the archive folder are refused', () => {
	refused(torchZip(ops(0x80, 2, 'N.'), [], 'archive/../..'), /zip entry name "archive\/\.\.\/\.\.\/data\.pkl" is not a plain relative path/);
	refused(writeZip([['archive/data.pkl', ops(0x80, 2, 'N.')], ['/etc/passwd', new Uint8Array(1)]]), /"\/etc\/passwd" is not a plain relative path/);
	refused(writeZip([['archive/data.pkl', ops(0x80, 2, 'N.')], ['other/x', new Uint8Array(1)]]), /other\/x is outside the archive folder archive\//);
	refused(writeZip([['a/data.pkl', ops(0x80, 2, 'N.')], ['b/data.pkl', ops(0x80, 2, 'N.')]]), /more than one data\.pkl/);
});

/** A one-entry-per-name zip with deflated entries and chosen declared sizes (no data descriptors). */
function deflatedZip(entries: Array<{name: string; data: Uint8Array; declared?: number}>): Uint8Array {
	const parts: Buffer[] = [], central: Buffer[] = [];
	let offset = 0;
	for (const e of entries) {
		const packed = deflateRawSync(e.data), name = Buffer.from(e.name), size = e.declared ?? e.data.length;
		const local = Buffer.alloc(30); local.writeUInt32LE(0x04034b50); local.writeUInt16LE(8, 8);
		local.writeUInt32LE(crc32(e.data), 14); local.writeUInt32LE(packed.length, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
		const c = Buffer.alloc(46); c.writeUInt32LE(0x02014b50); c.writeUInt16LE(8, 10); c.writeUInt32LE(crc32(e.data), 16);
		c.writeUInt32LE(packed.length, 20); c.writeUInt32LE(size, 24); c.writeUInt16LE(name.length, 28); c.writeUInt32LE(offset, 42);
		parts.push(local, name, packed); central.push(c, name);
		offset += 30 + name.length + packed.length;
	}
	const cd = Buffer.concat(central), end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
	return Buffer.concat([...parts, cd, end]);
}

test('a zip-bomb-like deflated entry is refused at the cap, whether its size is declared or hidden', () => {
	const pkl = tensorPickle(16 * 2 ** 20, [16 * 2 ** 20], [1]);
	const zeros = new Uint8Array(64 * 2 ** 20);
	const honest = deflatedZip([{name: 'archive/data.pkl', data: pkl}, {name: 'archive/data/0', data: zeros}]);
	assert.ok(honest.length < 200_000);
	refused(honest, /zip entries declare over 16777216 bytes in all \(at archive\/data\/0, 67108864 bytes\)/, {maxTotalBytes: 16 * 2 ** 20});
	const liar = deflatedZip([{name: 'archive/data.pkl', data: pkl}, {name: 'archive/data/0', data: zeros, declared: 1000}]);
	refused(liar, /declares 16777216 float32 elements \(67108864 bytes\), its entry holds 1000 bytes/);
	const liar2 = deflatedZip([{name: 'archive/data.pkl', data: tensorPickle(250, [250], [1])}, {name: 'archive/data/0', data: zeros, declared: 1000}]);
	refused(liar2, /zip entry archive\/data\/0 inflates past its declared 1000 bytes/);
	// The same layout, honest and small, reads.
	const ok = deflatedZip([{name: 'archive/data.pkl', data: tensorPickle(4, [4], [1])}, {name: 'archive/data/0', data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer)}]);
	assert.deepEqual(loadTorch(ok), {dtype: 'float32', shape: [4], data: new Float32Array([1, 2, 3, 4])});
});
