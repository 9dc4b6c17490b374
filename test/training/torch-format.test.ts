// torch.save / torch.load(weights_only=True) interop with the real PyTorch (Debian's python3-torch, through
// test/training/torch_helper.py), and hostile files that must be refused with one line, never run or hang.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test, type TestContext} from 'node:test';
import {
	bf16ToFloat32, float16ToFloat32, float32ToBf16, float32ToFloat16, loadTorch, saveTorch, tensor, isTensor,
	TorchOrderedDict, TorchTuple, type TorchValue,
} from '../../source/training/torch/index.js';
import {readZipDirectory} from '../../source/training/torch/zip-read.js';
import {defaultTorchLimits} from '../../source/training/torch/limits.js';

const helper = join(import.meta.dirname, 'torch_helper.py');
const dir = mkdtempSync(join(tmpdir(), 'iota-torch-'));
after(() => rmSync(dir, {recursive: true, force: true}));

/** Why PyTorch cannot be used here, or '' when it can. */
const noTorch = (() => {
	try { execFileSync('/usr/bin/python3', ['-c', 'import torch'], {stdio: 'pipe', timeout: 60_000}); return ''; }
	catch (error) { return `python3-torch is not importable (${(error as Error).message.split('\n')[0]})`; }
})();

/** Skips without PyTorch, except on CI (IOTA_REQUIRE_TORCH=1), where a missing PyTorch fails the test. */
function needTorch(t: TestContext): boolean {
	if (!noTorch) return true;
	if (process.env.IOTA_REQUIRE_TORCH === '1') assert.fail(`IOTA_REQUIRE_TORCH=1 but ${noTorch}`);
	t.skip(noTorch);
	return false;
}

const python = (cmd: string, arg: string): unknown =>
	JSON.parse(execFileSync('/usr/bin/python3', [helper, cmd, arg], {encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 2 ** 20}));

const hex = (b: ArrayBufferView) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The same description torch_helper.py's describe() gives: bit-exact tensors, container kinds, key order. */
function describe(x: TorchValue): unknown {
	if (x === null || typeof x === 'string' || typeof x === 'boolean') return x;
	if (typeof x === 'number') return Number.isInteger(x) ? {int: String(x)} : {float: String(x)};
	if (typeof x === 'bigint') return {int: String(x)};
	if (Array.isArray(x)) return {list: x.map(describe)};
	if (x instanceof TorchTuple) return {tuple: x.items.map(describe)};
	if (x instanceof TorchOrderedDict) {
		const d: Record<string, unknown> = {odict: [...x].map(([k, v]) => [k, describe(v)])};
		if (x.metadata !== undefined) d.meta = describe(x.metadata);
		return d;
	}
	if (x instanceof Map) return {dict: [...x].map(([k, v]) => [k, describe(v)])};
	if (isTensor(x)) return {tensor: x.dtype, shape: x.shape, hex: hex(x.data)};
	throw new Error('cannot describe');
}

// Deterministic values, with the awkward ones (NaN, infinities, -0, subnormals, int64 extremes).
const rand = (() => { let s = 12345; return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1; })();
const floats = (n: number) => Float32Array.from({length: n}, (_, i) => [NaN, Infinity, -Infinity, -0, 1e-40, 65504, 3.4e38][i] ?? rand() * 100);
const sample = {
	float32: (n: number) => floats(n),
	float16: (n: number) => float32ToFloat16(floats(n)),
	bfloat16: (n: number) => float32ToBf16(floats(n)),
	int64: (n: number) => BigInt64Array.from({length: n}, (_, i) => [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n][i] ?? BigInt(Math.round(rand() * 1e15))),
};
const shapes = [[], [0], [7], [2, 3, 4], [1, 0, 5], [1]];

function allDtypeTensors(): Map<string, TorchValue> {
	const m = new Map<string, TorchValue>();
	for (const [dtype, make] of Object.entries(sample))
		for (const shape of shapes) m.set(`${dtype}[${shape.join(',')}]`, tensor(dtype as keyof typeof sample, shape, make(shape.reduce((a, b) => a * b, 1)) as never));
	return m;
}

function stateDict(): TorchOrderedDict {
	const sd = new TorchOrderedDict([
		['lin.weight', tensor('float32', [5, 8], floats(40))],
		['lin.bias', tensor('float32', [5], floats(5))],
		['emb.weight', tensor('bfloat16', [11, 8], float32ToBf16(floats(88)))],
		['steps', tensor('int64', [], new BigInt64Array([7n]))],
	]);
	sd.metadata = new TorchOrderedDict([['', new Map([['version', 1]])], ['lin', new Map([['version', 1]])]]);
	return sd;
}

test('files written by iota-tui load in PyTorch (weights_only=True) with equal dtypes, shapes, values and key order', t => {
	if (!needTorch(t)) return;
	const values: TorchValue[] = [
		allDtypeTensors(),
		stateDict(),
		tensor('bfloat16', [2, 16, 64], float32ToBf16(floats(2048))),
		tensor('int64', [], new BigInt64Array([-5n])),
		new Map<string | number, TorchValue>([['n', 3], ['big', 2n ** 70n], ['neg', -70000], [7, 'int key'], ['flag', false], ['none', null],
			['list', [1, 'a', []]], ['tuple', new TorchTuple([1, 2, 3, 4])], ['t1', new TorchTuple([tensor('float16', [2], float32ToFloat16(floats(2)))])]]),
	];
	const paths = values.map((v, i) => { const p = join(dir, `ts-${i}.pt`); writeFileSync(p, saveTorch(v)); return p; });
	const got = python('load', JSON.stringify(paths)) as unknown[];
	values.forEach((v, i) => assert.deepEqual(got[i], describe(v), `file ${i}`));
});

test('the same tensor shared by two keys is written once and stays shared in PyTorch', t => {
	if (!needTorch(t)) return;
	const w = tensor('float32', [3], new Float32Array([1, 2, 3]));
	const bytes = saveTorch(new Map([['a', w], ['b', w]]));
	const names = [...readZipDirectory(bytes, defaultTorchLimits).keys()];
	assert.deepEqual(names, ['archive/data.pkl', 'archive/data/0', 'archive/version']);
	const p = join(dir, 'shared.pt');
	writeFileSync(p, bytes);
	const out = execFileSync('/usr/bin/python3', ['-c', `import torch; d = torch.load(${JSON.stringify(p)}, weights_only=True); print(d['a'].data_ptr() == d['b'].data_ptr(), d['a'].tolist())`], {encoding: 'utf8'});
	assert.equal(out.trim(), 'True [1.0, 2.0, 3.0]');
});

test('the zip layout is torch\'s: archive folder, data 64-byte aligned, a zip64 end record; it reads back equal', () => {
	const value = allDtypeTensors();
	const bytes = saveTorch(value, {archiveName: 'model'});
	const entries = readZipDirectory(bytes, defaultTorchLimits);
	assert.equal([...entries.keys()][0], 'model/data.pkl');
	assert.equal([...entries.keys()].at(-1), 'model/version');
	for (const e of entries.values()) assert.equal(e.dataStart % 64, 0, e.name);
	const view = new DataView(bytes.buffer);
	assert.equal(view.getUint32(bytes.length - 22 - 20 - 56, true), 0x06064b50, 'zip64 end of central directory');
	assert.deepEqual(describe(loadTorch(bytes)), describe(value));
});

test('files written by torch.save load in iota-tui with equal values: tensor, dict, state_dict, bf16 activation, views, deflated, zip64', t => {
	if (!needTorch(t)) return;
	const expected = python('make', dir) as Record<string, unknown>;
	assert.ok(Object.keys(expected).length >= 10);
	for (const [name, want] of Object.entries(expected)) {
		// An nn.Parameter comes back as its tensor, which is also how torch_helper.py describes it.
		assert.deepEqual(describe(loadTorch(readFileSync(join(dir, `${name}.pt`)))), want, name);
	}
	const act = loadTorch(readFileSync(join(dir, 'activation.pt')));
	assert.ok(isTensor(act) && act.dtype === 'bfloat16' && act.data instanceof Uint16Array);
	assert.deepEqual(act.shape, [2, 16, 64]);
	// A state_dict read by iota-tui and written back loads into the same nn.Module in PyTorch.
	const sd = loadTorch(readFileSync(join(dir, 'state_dict.pt')));
	assert.ok(sd instanceof TorchOrderedDict && sd.metadata instanceof TorchOrderedDict);
	const back = join(dir, 'state_dict-back.pt');
	writeFileSync(back, saveTorch(sd));
	const code = `import sys; sys.path.insert(0, ${JSON.stringify(import.meta.dirname)}); import torch, torch_helper as h
net = h.Net(); net.load_state_dict(torch.load(${JSON.stringify(back)}, weights_only=True)); ref = torch.load(${JSON.stringify(join(dir, 'state_dict.pt'))})
print(all(torch.equal(net.state_dict()[k], v) for k, v in ref.items()))`;
	assert.equal(execFileSync('/usr/bin/python3', ['-c', code], {encoding: 'utf8'}).trim(), 'True');
});

test('fp16 and bf16 helpers convert exactly as torch does', t => {
	if (!needTorch(t)) return;
	const values = [...floats(200), 1, -2, 0.1, 65519, 65520, 1e-8, 5.96e-8, 2.98e-8, 6.1e-5, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
	// Strings carry NaN and the infinities through JSON; Python's float() reads them back.
	const out = python('halves', JSON.stringify(values.map(v => (Object.is(v, -0) ? '-0.0' : String(v))))) as {f16: number[]; bf16: number[]; from_f16: string[]};
	const f32 = Float32Array.from(values);
	const toI16 = (u: Uint16Array) => Array.from(new Int16Array(u.buffer));
	const f16 = float32ToFloat16(f32), bf16 = float32ToBf16(f32);
	// NaN payloads may differ; compare NaN-ness there and exact bits elsewhere.
	const nanSafe = (bits: number[], exp: number) => bits.map(b => (((b >> exp) & ((1 << (15 - exp)) - 1)) === (1 << (15 - exp)) - 1 && (b & ((1 << exp) - 1)) ? 'nan' : b));
	assert.deepEqual(nanSafe(toI16(f16), 10), nanSafe(out.f16, 10));
	assert.deepEqual(nanSafe(toI16(bf16), 7), nanSafe(out.bf16, 7));
	assert.deepEqual(Array.from(float16ToFloat32(f16), x => (Number.isNaN(x) ? 'nan' : x)), out.from_f16.map(s => (s === 'nan' ? 'nan' : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s))));
	assert.deepEqual(Array.from(bf16ToFloat32(new Uint16Array([0x3f80, 0xc000]))), [1, -2]);
});
