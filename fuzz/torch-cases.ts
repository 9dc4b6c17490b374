// Hostile torch.save files by category, each definitely invalid for its WireExpect (a bit flip,
// which may leave a valid file, is marked `mayBeValid` and only counted when it crashes).
import {constants, crc32, deflateRawSync} from 'node:zlib';
import {encodeWire, type WireExpect} from '../source/training/wire.js';
import {saveTorch, tensor, TorchOrderedDict, TorchTuple, type DType, type TorchValue} from '../source/training/torch/index.js';
import {dtypeInfo} from '../source/training/torch/dtypes.js';
import {ops, prng, rawZip, tensorPickle, torchZip, withEocd, type RawEntry} from './torch-build.js';

export type TorchCase = {name: string; bytes(): Uint8Array; expect: WireExpect; mayBeValid?: boolean};

export const ACT: WireExpect = {kind: 'activation', shape: [2, 4, 8], what: 'activation'};
export const IDS: WireExpect = {kind: 'ids', shape: [2, 16], what: 'token ids'};

const actData = () => Float32Array.from({length: 64}, (_, i) => Math.sin(i) * 3);
export const validActivation = (): Uint8Array => encodeWire({dtype: 'float32', shape: [2, 4, 8], data: actData().buffer as ArrayBuffer});
export const validIds = (): Uint8Array => encodeWire({dtype: 'int32', shape: [2, 16], data: Int32Array.from({length: 32}, (_, i) => i * 7).buffer as ArrayBuffer});
const enc = new TextEncoder();
/** The same tensors as a plain zip (no zip64 records), so mutations of the end record are the ones read. */
const plainActivation = (): Uint8Array => rawZip([{name: 'archive/data.pkl', data: tensorPickle({storage: 'BFloat16Storage', numel: 64, size: [2, 4, 8], stride: [32, 8, 1]})}, {name: 'archive/data/0', data: bf16Bytes(64)}, {name: 'archive/version', data: enc.encode('3\n')}]);
const plainIds = (): Uint8Array => rawZip([{name: 'archive/data.pkl', data: tensorPickle({storage: 'LongStorage', numel: 32, size: [2, 16], stride: [16, 1]})}, {name: 'archive/data/0', data: new Uint8Array(256)}, {name: 'archive/version', data: enc.encode('3\n')}]);
function bf16Bytes(n: number): Uint8Array {
	return new Uint8Array(n * 2).fill(0x3f);
}

const FORBIDDEN = [['os', 'system'], ['posix', 'system'], ['builtins', 'eval'], ['builtins', 'exec'], ['__builtin__', 'getattr'], ['subprocess', 'Popen'],
	['torch', 'load'], ['numpy.core.multiarray', '_reconstruct'], ['torch._utils', '_rebuild_qtensor'], ['collections', 'deque'], ['torch.serialization', '_get_restore_location'], ['io', 'open']];
const GLOBAL_FORMS: [string, (m: string, n: string) => Uint8Array][] = [
	['bare GLOBAL', (m, n) => ops(0x80, 2, `c${m}\n${n}\n`, '.')],
	['GLOBAL then REDUCE', (m, n) => ops(0x80, 2, `c${m}\n${n}\n`, '(X', 2, 0, 0, 0, 'id', 't', 'R.')],
	['STACK_GLOBAL', (m, n) => ops(0x80, 4, 0x8c, m.length, m, 0x8c, n.length, n, 0x93, ')R.')],
	['GLOBAL then BUILD', (m, n) => ops(0x80, 2, `c${m}\n${n}\n`, ')R}b.')],
	['GLOBAL inside a tensor tuple', (m, n) => ops(0x80, 2, 'ctorch._utils\n_rebuild_tensor_v2\n(', `c${m}\n${n}\n`, 'tR.')],
];

/** Disallowed globals in every form, every opcode byte spliced in after PROTO, and persistent ids of the wrong shape. */
export function pickleOpcodeCases(): TorchCase[] {
	const cases: TorchCase[] = [];
	for (const [m, n] of FORBIDDEN) for (const [form, make] of GLOBAL_FORMS) cases.push({name: `${form} ${m}.${n}`, bytes: () => torchZip(make(m, n)), expect: ACT});
	const good = tensorPickle({storage: 'BFloat16Storage', numel: 64, size: [2, 4, 8], stride: [32, 8, 1]});
	for (let op = 0; op < 256; op++) {
		cases.push({name: `opcode 0x${op.toString(16)} after PROTO`, bytes: () => torchZip(Uint8Array.from([...good.subarray(0, 2), op, ...good.subarray(2)]), [bf16Bytes(64)]), expect: ACT});
	}
	const pids: [string, Uint8Array][] = [
		['BINPERSID of an int', ops(0x80, 2, 'K', 5, 'Q.')],
		['BINPERSID of None', ops(0x80, 2, 'NQ.')],
		['BINPERSID of a string', ops(0x80, 2, 'X', 1, 0, 0, 0, '0', 'Q.')],
		['BINPERSID of a list', ops(0x80, 2, ']Q.')],
		['PERSID text id', ops(0x80, 2, 'P0\n.')],
		['BINPERSID with os.system as storage type', ops(0x80, 2, '(X', 7, 0, 0, 0, 'storage', 'cos\nsystem\n', 'X', 1, 0, 0, 0, '0', 'X', 3, 0, 0, 0, 'cpu', 'K', 4, 't', 'Q.')],
		['BINPERSID with a float numel', ops(0x80, 2, '(X', 7, 0, 0, 0, 'storage', 'ctorch\nBFloat16Storage\n', 'X', 1, 0, 0, 0, '0', 'X', 3, 0, 0, 0, 'cpu', 'G', 0x40, 0x50, 0, 0, 0, 0, 0, 0, 't', 'Q.')],
		['BINPERSID with an int key', ops(0x80, 2, '(X', 7, 0, 0, 0, 'storage', 'ctorch\nBFloat16Storage\n', 'K', 0, 'X', 3, 0, 0, 0, 'cpu', 'K', 64, 't', 'Q.')],
		['BINPERSID tagged other than storage', ops(0x80, 2, '(X', 6, 0, 0, 0, 'module', 'ctorch\nBFloat16Storage\n', 'X', 1, 0, 0, 0, '0', 'X', 3, 0, 0, 0, 'cpu', 'K', 64, 't', 'Q.')],
		['BINPERSID of a 4-tuple', ops(0x80, 2, '(X', 7, 0, 0, 0, 'storage', 'ctorch\nBFloat16Storage\n', 'X', 1, 0, 0, 0, '0', 'K', 64, 't', 'Q.')],
		['EXT1', ops(0x80, 2, 0x82, 1, '.')],
		['EXT2', ops(0x80, 2, 0x83, 1, 0, '.')],
		['EXT4', ops(0x80, 2, 0x84, 1, 0, 0, 0, '.')],
		['INST os system', ops(0x80, 2, '(ios\nsystem\nX', 2, 0, 0, 0, 'id.')],
		['OBJ of a global', ops(0x80, 2, '(cos\nsystem\no.')],
		['NEWOBJ_EX', ops(0x80, 4, ')})', 0x92, '.')],
	];
	for (const [name, pkl] of pids) cases.push({name, bytes: () => torchZip(pkl, [bf16Bytes(64)]), expect: ACT});
	return cases;
}

const CHUNK = 16 << 20;
let chunk: Buffer | undefined;
/**
 * A deflate stream of `n` zeros (n a multiple of 16 MiB) without holding them: one sync-flushed
 * 16 MiB block repeated, then an empty final block. 1 GiB packs to ~1 MB.
 */
function deflatedZeros(n: number): Buffer {
	chunk ??= deflateRawSync(new Uint8Array(CHUNK), {finishFlush: constants.Z_SYNC_FLUSH});
	return Buffer.concat([...Array.from({length: n / CHUNK}, () => chunk!), Buffer.from([0x03, 0x00])]);
}

/** Entries whose inflated size is huge (declared honestly or not), very many entries, and zips inside zips. */
export function zipBombCases(reduced: boolean): TorchCase[] {
	const cases: TorchCase[] = [];
	const sizes = reduced ? [16 << 20, 1 << 30] : [16 << 20, 64 << 20, 1 << 30, 2 ** 32 - CHUNK];
	for (const n of sizes) {
		const pkl = tensorPickle({storage: 'BFloat16Storage', numel: n / 2, size: [2, 4, n / 16], stride: [n / 4, n / 8, 1]});
		for (const declared of [n, 1000, 0xffffffff, 0x80000000, 64]) {
			cases.push({
				name: `deflated ${n / 2 ** 20} MiB of zeros declared as ${declared} bytes`,
				bytes: () => bombZip(pkl, deflatedZeros(n), n, declared),
				expect: ACT,
			});
		}
	}
	cases.push({name: 'deflated 64 MiB data.pkl', bytes: () => rawZip([{name: 'archive/data.pkl', data: new Uint8Array(64 << 20).fill(0x4e), deflate: true}]), expect: ACT});
	for (const count of reduced ? [1000] : [1000, 20_000, 100_001]) {
		cases.push({name: `${count} entries`, bytes: () => rawZip([{name: 'archive/data.pkl', data: ops(0x80, 2, 'N.')}, ...Array.from({length: count}, (_, i) => ({name: `archive/x/${i}`, data: new Uint8Array(0)}))]), expect: ACT});
	}
	for (const claimed of [65535, 30000, 0]) cases.push({name: `EOCD claims ${claimed} entries`, bytes: () => withEocd(plainActivation(), 'count', claimed), expect: ACT});
	cases.push({name: 'a zip bomb nested as the storage of a tensor', bytes: () => {
		const inner = nestedBomb();
		return torchZip(tensorPickle({storage: 'ByteStorage', numel: inner.length, size: [inner.length], stride: [1]}), [inner]);
	}, expect: ACT});
	for (let depth = 1; depth <= (reduced ? 2 : 8); depth++) cases.push({name: `torch file nested ${depth} deep as data.pkl`, bytes: () => nest(validActivation(), depth), expect: ACT});
	return cases;
}

/** CRC-32 of `n` zeros, 16 MiB at a time. */
function zerosCrc(n: number): number {
	const block = new Uint8Array(Math.min(n, CHUNK));
	let c = 0;
	for (let done = 0; done < n; done += block.length) c = crc32(block.subarray(0, Math.min(block.length, n - done)), c);
	return c;
}

/** data.pkl plus a data/0 whose compressed body is `packed` (zeros), declared as `declared` bytes, CRC of the real zeros. */
function bombZip(pkl: Uint8Array, packed: Buffer, inflated: number, declared: number): Uint8Array {
	const z = rawZip([{name: 'archive/data.pkl', data: pkl}, {name: 'archive/data/0', data: new Uint8Array(0), deflate: true, declared, crc: zerosCrc(inflated)}]);
	return splicePacked(z, 'archive/data/0', packed);
}

/** Replaces the (tiny) compressed body of entry `name` with `packed`, fixing sizes and offsets after it. */
function splicePacked(zip: Uint8Array, name: string, packed: Buffer): Uint8Array {
	const b = Buffer.from(zip);
	const nameBuf = Buffer.from(name);
	let at = 0;
	for (;;) {
		const nlen = b.readUInt16LE(at + 26);
		if (b.subarray(at + 30, at + 30 + nlen).equals(nameBuf)) break;
		at += 30 + nlen + b.readUInt32LE(at + 18);
	}
	const nlen = b.readUInt16LE(at + 26);
	const oldLen = b.readUInt32LE(at + 18);
	const dataAt = at + 30 + nlen;
	const grow = packed.length - oldLen;
	const out = Buffer.concat([b.subarray(0, dataAt), packed, b.subarray(dataAt + oldLen)]);
	out.writeUInt32LE(packed.length, at + 18);
	const end = out.length - 22;
	const cdAt = out.readUInt32LE(end + 16) + grow;
	out.writeUInt32LE(cdAt, end + 16);
	for (let p = cdAt; p < end; p += 46 + out.readUInt16LE(p + 28) + out.readUInt16LE(p + 30) + out.readUInt16LE(p + 32)) {
		const off = out.readUInt32LE(p + 42);
		if (off === at) out.writeUInt32LE(packed.length, p + 20);
		if (off > at) out.writeUInt32LE(off + grow, p + 42);
	}
	return out;
}

const nestedBomb = () => rawZip([{name: 'inner/data.pkl', data: new Uint8Array(4 << 20), deflate: true}]);
const nest = (inner: Uint8Array, depth: number): Uint8Array => (depth === 0 ? inner : torchZip(nest(inner, depth - 1)));

/** Valid torch files whose dtype, shape or content is wrong for the expectation, and objects that are not tensors. */
export function shapeDtypeCases(): TorchCase[] {
	const cases: TorchCase[] = [];
	const shapes = [[2, 4, 8], [2, 16], [4, 2, 8], [64], [1, 2, 4, 8], [], [2, 4, 9], [0, 4, 8], [2, 0, 8], [3, 16], [2, 15], [32, 2]];
	for (const dtype of Object.keys(dtypeInfo) as DType[]) {
		for (const shape of shapes) {
			for (const expect of [ACT, IDS]) {
				const right = (expect === ACT ? dtype === 'bfloat16' : dtype === 'int64') && sameShape(shape, expect.shape);
				if (right) continue;
				cases.push({name: `${dtype} [${shape}] as ${expect.what}`, bytes: () => saveTorch(tensor(dtype, shape, zerosOf(dtype, shape.reduce((a, b) => a * b, 1)))), expect});
			}
		}
	}
	const t = (dt: DType) => tensor(dt, [2, 4, 8], zerosOf(dt, 64));
	const others: [string, TorchValue][] = [['None', null], ['an int', 3], ['a float', 1.5], ['a string', 'tensor'], ['True', true], ['an empty list', []], ['a list of the tensor', [t('bfloat16')]],
		['a dict holding the tensor', new Map([['x', t('bfloat16')]])], ['an OrderedDict', new TorchOrderedDict()], ['a tuple of the tensor', new TorchTuple([t('bfloat16')])], ['bytes', new Uint8Array(128)]];
	for (const [name, v] of others) for (const expect of [ACT, IDS]) cases.push({name: `${name} as ${expect.what}`, bytes: () => saveTorch(v), expect});
	for (const [name, bits] of [['NaN', 0x7fc0], ['+Inf', 0x7f80], ['-Inf', 0xff80], ['signalling NaN', 0x7f81]] as const) {
		for (const at of [0, 31, 63]) cases.push({name: `bfloat16 ${name} at ${at}`, bytes: () => saveTorch(tensor('bfloat16', [2, 4, 8], Uint16Array.from({length: 64}, (_, i) => (i === at ? bits : 0x3f80)))), expect: ACT});
	}
	for (const v of [-1n, -(2n ** 63n), 2n ** 31n, 2n ** 40n, 2n ** 63n - 1n]) {
		for (const at of [0, 31]) cases.push({name: `token id ${v} at ${at}`, bytes: () => saveTorch(tensor('int64', [2, 16], BigInt64Array.from({length: 32}, (_, i) => (i === at ? v : 1n)))), expect: IDS});
	}
	return cases;
}

const sameShape = (shape: number[], want: Array<number | null>) => shape.length === want.length && want.every((n, i) => n === null || n === shape[i]);

function zerosOf(dtype: DType, n: number) {
	const bytes = dtypeInfo[dtype].bytes;
	if (dtype === 'int64') return new BigInt64Array(n);
	if (dtype === 'float32') return new Float32Array(n);
	if (dtype === 'float64') return new Float64Array(n);
	if (dtype === 'int32') return new Int32Array(n);
	if (dtype === 'int16') return new Int16Array(n);
	if (dtype === 'int8') return new Int8Array(n);
	if (bytes === 2) return new Uint16Array(n);
	return new Uint8Array(n);
}

/** Storages that hold fewer bytes than declared, views that reach past them, negative or overflowing numbers. */
export function lyingSizeCases(): TorchCase[] {
	const cases: TorchCase[] = [];
	const base = {storage: 'BFloat16Storage', size: [2, 4, 8], stride: [32, 8, 1]};
	const add = (name: string, spec: Partial<Parameters<typeof tensorPickle>[0]>, bytes = bf16Bytes(64), extra: Uint8Array[] = []) =>
		cases.push({name, bytes: () => torchZip(tensorPickle({...base, numel: 64, ...spec}), [bytes, ...extra]), expect: ACT});
	for (const numel of [65, 128, 1000, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 - 1, 2n ** 63n - 1n, 2n ** 64n, -1, -64, 0, 63, 32]) add(`storage declares ${numel} elements, holds 64`, {numel});
	for (const have of [0, 1, 63, 65, 127, 129]) add(`storage entry of ${have} bytes`, {}, new Uint8Array(have));
	for (const offset of [1, 32, 63, 64, 2 ** 31, 2 ** 53, -1, -(2 ** 31), 2n ** 64n]) add(`offset ${offset}`, {offset});
	const strides: Array<Array<number | bigint>> = [[33, 8, 1], [32, 9, 1], [32, 8, 2], [64, 8, 1], [-32, 8, 1], [32, -8, 1], [32, 8, -1], [2 ** 31, 8, 1], [2 ** 53, 8, 1], [2n ** 64n, 8, 1], [32, 8], [32, 8, 1, 1], []];
	for (const stride of strides) add(`stride [${stride}]`, {stride});
	const sizes: Array<Array<number | bigint>> = [[2, 4, 9], [3, 4, 8], [-2, 4, 8], [2, -4, 8], [2 ** 31, 4, 8], [2 ** 53, 4, 8], [2n ** 64n, 4, 8], [2 ** 25, 2 ** 25, 8], [2, 4], [2, 4, 8, 1]];
	for (const size of sizes) add(`size [${size}]`, {size, stride: size.length === 3 ? base.stride : size.map(() => 1)});
	add('storage key with no entry', {key: '7'});
	add('storage key ../0', {key: '../0'});
	add('storage key with a NUL', {key: '0\u0000'});
	for (const storage of ['ComplexFloatStorage', 'QInt8Storage', 'UntypedStorage', 'Storage', 'system']) add(`storage class torch.${storage}`, {storage});
	add('storage class from another module', {module: 'numpy'});
	// Two tensors sharing storage "0" with different dtypes, in a tuple: the second read must be refused.
	cases.push({name: 'one storage as bfloat16 and float32', bytes: () => twoDtypes(), expect: ACT});
	return cases;
}

function twoDtypes(): Uint8Array {
	const a = tensorPickle({storage: 'BFloat16Storage', numel: 64, size: [2, 4, 8], stride: [32, 8, 1]});
	const b = tensorPickle({storage: 'FloatStorage', numel: 32, size: [32], stride: [1]});
	// [PROTO a-body-without-STOP b-body-without-PROTO-and-STOP TUPLE2 STOP]; memo slots may clash, which is hostile too.
	return torchZip(Uint8Array.from([...a.subarray(0, -1), ...b.subarray(2, -1), 0x86, 0x2e]), [bf16Bytes(64)]);
}

/** Every prefix of a valid file, and directories that are cut, point elsewhere or lie about their size. */
export function truncatedCases(reduced: boolean): TorchCase[] {
	const cases: TorchCase[] = [];
	for (const [what, make, expect] of [['activation', validActivation, ACT], ['token ids', validIds, IDS], ['plain-zip activation', plainActivation, ACT], ['plain-zip token ids', plainIds, IDS]] as const) {
		const n = make().length;
		const step = reduced ? Math.ceil(n / 40) : 1;
		for (let cut = 0; cut < n; cut += step) cases.push({name: `${what} cut to ${cut} of ${n} bytes`, bytes: () => make().subarray(0, cut), expect});
		// writeZip's files carry zip64 records, which override the plain end record: mutate that one only in plain zips.
		if (!what.startsWith('plain')) continue;
		for (const delta of [-1, 1, -22, 1000, -n]) cases.push({name: `${what} EOCD directory offset ${delta >= 0 ? '+' : ''}${delta}`, bytes: () => shiftEocd(make(), 'offset', delta), expect});
		for (const delta of [-1, 1, -46, 1 << 20]) cases.push({name: `${what} EOCD directory size ${delta >= 0 ? '+' : ''}${delta}`, bytes: () => shiftEocd(make(), 'size', delta), expect});
		cases.push({name: `${what} with the central directory zeroed`, bytes: () => zeroDirectory(make()), expect});
	}
	return cases;
}

function shiftEocd(zip: Uint8Array, field: 'offset' | 'size', delta: number): Uint8Array {
	const at = zip.length - 22;
	const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength).getUint32(at + (field === 'size' ? 12 : 16), true);
	return withEocd(zip, field, v + delta);
}

function zeroDirectory(zip: Uint8Array): Uint8Array {
	const out = Buffer.from(zip);
	const at = out.length - 22;
	// writeZip may add zip64 records before the EOCD; zero from the directory start to them.
	out.fill(0, out.readUInt32LE(at + 16), at - 1);
	return out;
}

/** The same name twice with different contents: a reader must not pick one silently. */
export function duplicateCases(): TorchCase[] {
	const pkl = tensorPickle({storage: 'BFloat16Storage', numel: 64, size: [2, 4, 8], stride: [32, 8, 1]});
	const other = tensorPickle({storage: 'BFloat16Storage', numel: 64, size: [4, 2, 8], stride: [16, 8, 1]});
	const version = {name: 'archive/version', data: enc.encode('3\n')};
	const d = (data: Uint8Array, deflate = false) => ({name: 'archive/data/0', data, deflate});
	const p = (data: Uint8Array, deflate = false) => ({name: 'archive/data.pkl', data, deflate});
	const layouts: [string, RawEntry[]][] = [
		['data.pkl twice', [p(pkl), p(other), d(bf16Bytes(64)), version]],
		['data.pkl twice, same bytes', [p(pkl), p(pkl), d(bf16Bytes(64)), version]],
		['data/0 twice', [p(pkl), d(bf16Bytes(64)), d(new Uint8Array(128)), version]],
		['data/0 twice, one deflated', [p(pkl), d(bf16Bytes(64)), d(bf16Bytes(64), true), version]],
		['version twice', [p(pkl), d(bf16Bytes(64)), version, {name: 'archive/version', data: enc.encode('1\n')}]],
		['byteorder twice', [p(pkl), d(bf16Bytes(64)), {name: 'archive/byteorder', data: enc.encode('little')}, {name: 'archive/byteorder', data: enc.encode('big')}]],
		['data.pkl in two folders', [p(pkl), d(bf16Bytes(64)), {name: 'other/data.pkl', data: pkl}]],
		['big-endian byteorder', [p(pkl), d(bf16Bytes(64)), {name: 'archive/byteorder', data: enc.encode('big')}]],
	];
	return layouts.map(([name, entries]) => ({name, bytes: () => rawZip(entries), expect: ACT}));
}

/** Random bit flips and byte overwrites of valid files: may stay valid, so only a crash counts. */
export function bitflipCases(reduced: boolean): TorchCase[] {
	const cases: TorchCase[] = [];
	const n = reduced ? 40 : 600;
	for (let i = 0; i < n; i++) {
		const [make, expect] = i % 2 ? [validIds, IDS] : [validActivation, ACT];
		cases.push({name: `mutation ${i}`, mayBeValid: true, expect, bytes: () => {
			const r = prng(1000 + i);
			const b = make().slice();
			const flips = 1 + Math.floor(r() * 8);
			for (let k = 0; k < flips; k++) {
				const at = Math.floor(r() * b.length);
				b[at] = r() < 0.5 ? b[at]! ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
			}
			return b;
		}});
	}
	return cases;
}
