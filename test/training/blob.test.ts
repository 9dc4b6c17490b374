// The IOTA blob: exact header and trailer bytes, round trips, an independent Python reader, hostile blobs,
// and Range reads of one section / region through the project's real object store and presigned URLs.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {spawnSync} from 'node:child_process';
import {
	BLOB_HEADER_LEN,
	MAX_TRAILER_BYTES,
	buildOptimizerStateBlob,
	buildPartitionBlob,
	buildWeightsBlob,
	flattenOptimizerState,
	packHeader,
	pythonJson,
	readPartitionBlob,
	readWeightsBlob,
} from '../../source/training/blob.js';
import {fetchPartitionRegion, fetchWeightsSection, fetchWeightsTrailer} from '../../source/training/blob-range.js';
import {toBf16} from '../../source/training/bf16.js';
import {startObjectStore, type ObjectStore} from '../../source/devnet/store.js';
import {makeS3Client} from '../../source/storage/s3.js';
import {Presigner} from '../../source/storage/presign.js';

const bf16Ramp = (n: number, scale = 0.25) => toBf16(Float32Array.from({length: n}, (_, i) => (i - n / 2) * scale));
const header = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, BLOB_HEADER_LEN);
const trailerText = (b: Uint8Array) => new TextDecoder().decode(b.subarray(Number(header(b).getBigUint64(4, true))));

test('weights blob: header, payload and trailer bytes field by field', () => {
	const values = bf16Ramp(10);
	const {bytes} = buildWeightsBlob(values, 3, 7);
	const h = header(bytes);
	assert.equal(h.getUint16(0, true), 1, 'version');
	assert.equal(h.getUint16(2, true), 0, 'reserved');
	assert.equal(h.getBigUint64(4, true), 12n + 20n, 'trailer offset = header + 10 bf16');
	for (let i = 0; i < 10; i++) assert.equal(new DataView(bytes.buffer).getUint16(12 + 2 * i, true), values[i], `payload ${i}`);
	// 10 // 3 = 3 per section, the last takes 4; bytes include the 12-byte header. Same text as Python's json.dumps.
	assert.equal(trailerText(bytes),
		'{"dtype": "bfloat16", "shape": [10], "sections": {'
		+ '"0": {"start_idx": 0, "end_idx": 3, "start_byte": 12, "end_byte": 18}, '
		+ '"1": {"start_idx": 3, "end_idx": 6, "start_byte": 18, "end_byte": 24}, '
		+ '"2": {"start_idx": 6, "end_idx": 10, "start_byte": 24, "end_byte": 32}}, '
		+ '"local_optimization_steps": 7}');
	const back = readWeightsBlob(bytes);
	assert.deepEqual([...back.values], [...values]);
	assert.equal(back.trailer.local_optimization_steps, 7);
	assert.deepEqual(back.trailer.sections['2'], {start_idx: 6, end_idx: 10, start_byte: 24, end_byte: 32});
});

test('partition blob: regions back to back, trailer text as Python writes it', () => {
	const weights = bf16Ramp(5);
	const momentum = bf16Ramp(5, -0.5);
	const {bytes} = buildPartitionBlob({weights, optimizerState: momentum, chunkNumber: 4, layer: 2});
	assert.equal(header(bytes).getBigUint64(4, true), 32n);
	assert.equal(trailerText(bytes),
		'{"chunk_number": 4, "layer": 2, "regions": {'
		+ '"weights": {"offset": 12, "length": 10, "dtype": "bfloat16", "shape": [5]}, '
		+ '"optimizer_state": {"offset": 22, "length": 10, "dtype": "bfloat16", "shape": [5]}}}');
	const back = readPartitionBlob(bytes);
	assert.deepEqual([...back.weights], [...weights]);
	assert.deepEqual([...back.optimizerState], [...momentum]);
	assert.equal(back.trailer.chunk_number, 4);
});

test('optimizer state: per parameter, step skipped, one section', () => {
	const mu = Uint16Array.of(0x3f80);
	const flat = flattenOptimizerState([
		[['step', Uint16Array.of(9)], ['mu_product', mu], ['exp_avg', Uint16Array.of(1, 2)], ['exp_avg_sq', Uint16Array.of(3, 4)]],
		[['step', Uint16Array.of(9)], ['mu_product', mu], ['exp_avg', Uint16Array.of(5)], ['exp_avg_sq', Uint16Array.of(6)]],
	]);
	assert.deepEqual([...flat], [0x3f80, 1, 2, 3, 4, 0x3f80, 5, 6]);
	const {bytes, trailer} = buildOptimizerStateBlob(flat, 12);
	assert.deepEqual(Object.keys(trailer.sections), ['0']);
	assert.deepEqual(readWeightsBlob(bytes).trailer.sections['0'], {start_idx: 0, end_idx: 8, start_byte: 12, end_byte: 28});
});

test('python json matches json.dumps for escapes', () => {
	assert.equal(pythonJson({a: 'é"\\', b: [1, 2], c: null}), '{"a": "\\u00e9\\"\\\\", "b": [1, 2], "c": null}');
});

function findPython(): string | null {
	for (const py of ['/usr/bin/python3', 'python3']) {
		const r = spawnSync(py, ['-c', 'import numpy'], {encoding: 'utf8'});
		if (r.status === 0) return py;
	}
	return null;
}

test('an independent Python reader (struct + json + numpy/torch) parses our blobs', t => {
	const py = findPython();
	if (!py) { t.skip('no python3 with numpy'); return; }
	const dir = mkdtempSync(join(tmpdir(), 'iota-blob-py-'));
	try {
		const values = toBf16(Float32Array.from({length: 1001}, (_, i) => Math.sin(i) * 3));
		writeFileSync(join(dir, 'w.blob'), buildWeightsBlob(values, 8, 42).bytes);
		writeFileSync(join(dir, 'p.blob'), buildPartitionBlob({weights: values.subarray(0, 100), optimizerState: values.subarray(100, 160), chunkNumber: 3, layer: 1}).bytes);
		// Written from the documented layout only; it rebuilds the trailer with json.dumps and compares bytes.
		const script = `
import json, struct, sys
import numpy as np
def bf16(raw):
    try:
        import torch
        return torch.frombuffer(bytearray(raw), dtype=torch.bfloat16).float().numpy(), 'torch'
    except ImportError:
        return (np.frombuffer(raw, dtype='<u2').astype(np.uint32) << 16).view(np.float32), 'numpy'
out = {}
for name in ('w', 'p'):
    data = open(sys.argv[1] + '/' + name + '.blob', 'rb').read()
    ver, res, off = struct.unpack('<HHQ', data[:12])
    trailer_bytes = data[off:]
    trailer = json.loads(trailer_bytes)
    entry = {'ver': ver, 'res': res, 'off': off, 'same_json': json.dumps(trailer).encode() == trailer_bytes}
    if name == 'w':
        vals, how = bf16(data[12:off])
        entry['how'] = how
        s = trailer['sections']['7']
        sec, _ = bf16(data[s['start_byte']:s['end_byte']])
        entry.update(n=int(vals.size), shape=trailer['shape'], steps=trailer['local_optimization_steps'], nsec=len(trailer['sections']),
                     sec7=[s['start_idx'], s['end_idx']], sec7_ok=bool(np.array_equal(sec, vals[s['start_idx']:s['end_idx']])),
                     sum=float(vals.astype(np.float64).sum()), first=[float(x) for x in vals[:3]])
    else:
        r = trailer['regions']
        w, _ = bf16(data[r['weights']['offset']:r['weights']['offset'] + r['weights']['length']])
        o, _ = bf16(data[r['optimizer_state']['offset']:r['optimizer_state']['offset'] + r['optimizer_state']['length']])
        entry.update(chunk=trailer['chunk_number'], layer=trailer['layer'], nw=int(w.size), no=int(o.size), o_first=float(o[0]),
                     end=r['optimizer_state']['offset'] + r['optimizer_state']['length'])
    out[name] = entry
print(json.dumps(out))
`;
		const r = spawnSync(py, ['-c', script, dir], {encoding: 'utf8'});
		assert.equal(r.status, 0, r.stderr);
		const got = JSON.parse(r.stdout);
		const f32 = (u: number) => new Float32Array(new Uint32Array([u << 16]).buffer)[0]!;
		const expectSum = [...values].reduce((s, u) => s + f32(u), 0);
		assert.deepEqual({...got.w, sum: undefined, how: undefined}, {
			ver: 1, res: 0, off: 12 + 2002, same_json: true, n: 1001, shape: [1001], steps: 42, nsec: 8,
			sec7: [7 * 125, 1001], sec7_ok: true, sum: undefined, first: [f32(values[0]!), f32(values[1]!), f32(values[2]!)], how: undefined,
		});
		assert.ok(Math.abs(got.w.sum - expectSum) < 1e-6 * Math.max(1, Math.abs(expectSum)), `sum ${got.w.sum} vs ${expectSum}`);
		assert.deepEqual(got.p, {ver: 1, res: 0, off: 12 + 320, same_json: true, chunk: 3, layer: 1, nw: 100, no: 60, o_first: f32(values[100]!), end: 332});
		t.diagnostic(`python bf16 via ${got.w.how}`);
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

// ---- hostile blobs: every one refused with a one-line "bad blob" error ----

const withTrailer = (payloadBytes: number, trailer: string, offset = BLOB_HEADER_LEN + payloadBytes) => {
	const t = new TextEncoder().encode(trailer);
	const out = new Uint8Array(BLOB_HEADER_LEN + payloadBytes + t.length);
	out.set(packHeader(offset), 0);
	out.set(t, BLOB_HEADER_LEN + payloadBytes);
	return out;
};
const sec = (a: number, b: number) => ({start_idx: a, end_idx: b, start_byte: 12 + 2 * a, end_byte: 12 + 2 * b});
const weightsTrailer = (sections: object, extra: object = {}) => JSON.stringify({dtype: 'bfloat16', shape: [6], sections, local_optimization_steps: 1, ...extra});

function refuses(blob: Uint8Array, pattern: RegExp, read = readWeightsBlob as (b: Uint8Array) => unknown) {
	assert.throws(() => read(blob), (e: Error) => {
		assert.match(e.message, /^bad blob: /);
		assert.match(e.message, pattern);
		assert.ok(!e.message.includes('\n'), 'one line');
		return true;
	});
}

test('hostile blobs are refused', () => {
	const good = buildWeightsBlob(bf16Ramp(6), 2, 1).bytes;
	assert.doesNotThrow(() => readWeightsBlob(good));
	const badVersion = good.slice(); badVersion[0] = 2;
	refuses(badVersion, /unsupported version 2/);
	const badReserved = good.slice(); badReserved[2] = 1;
	refuses(badReserved, /reserved/);
	refuses(good.subarray(0, 7), /header is 7 bytes/);
	refuses(withTrailer(12, weightsTrailer({0: sec(0, 6)}), 10_000), /past the end/);
	refuses(withTrailer(12, weightsTrailer({0: sec(0, 6)}), 4), /inside the header/);
	const huge = good.slice(); new DataView(huge.buffer).setBigUint64(4, 0xffff_ffff_ffff_ffffn, true);
	refuses(huge, /out of range/);
	refuses(withTrailer(12, ' '.repeat(MAX_TRAILER_BYTES + 1)), /more than/);
	refuses(withTrailer(12, '{"dtype": '), /not valid UTF-8 JSON/);
	refuses(withTrailer(12, '[1]'), /not a JSON object/);
	// Truncated: payload shorter than the shape says.
	refuses(good.subarray(0, good.length - 30), /past the end|payload|JSON/);
	refuses(withTrailer(10, weightsTrailer({0: sec(0, 6)})), /shape holds 6 elements but the payload is 10 bytes/);
	refuses(withTrailer(12, weightsTrailer({0: sec(0, 4), 1: sec(3, 6)})), /section 1 starts at 3, expected 4/);
	refuses(withTrailer(12, weightsTrailer({0: sec(0, 3), 1: sec(4, 6)})), /section 1 starts at 4/);
	refuses(withTrailer(12, weightsTrailer({0: sec(0, 3), 1: sec(3, 9)})), /section 1 ends at 9/);
	refuses(withTrailer(12, weightsTrailer({0: sec(0, 3)})), /cover 3 of 6/);
	refuses(withTrailer(12, weightsTrailer({0: sec(0, 3), 2: sec(3, 6)})), /section keys/);
	refuses(withTrailer(12, weightsTrailer({0: {...sec(0, 6), end_byte: 9999}})), /byte range/);
	refuses(withTrailer(12, weightsTrailer({0: {...sec(0, 6), start_idx: -1}})), /start_idx/);
	refuses(withTrailer(12, weightsTrailer({})), /no sections/);
	refuses(withTrailer(12, weightsTrailer({0: sec(0, 6)}, {dtype: 'float8'})), /dtype "float8"/);
	refuses(withTrailer(12, weightsTrailer({0: sec(0, 6)}, {local_optimization_steps: 1.5})), /local_optimization_steps/);
	const part = buildPartitionBlob({weights: bf16Ramp(3), optimizerState: bf16Ramp(3), chunkNumber: 0, layer: 0}).bytes;
	assert.doesNotThrow(() => readPartitionBlob(part));
	const region = (offset: number, length: number, shape = [length / 2]) => ({offset, length, dtype: 'bfloat16', shape});
	const partTrailer = (w: object, o: object) => JSON.stringify({chunk_number: 0, layer: 0, regions: {weights: w, optimizer_state: o}});
	refuses(withTrailer(12, partTrailer(region(12, 6), region(16, 6))), /optimizer_state starts at 16, expected 18/, readPartitionBlob);
	refuses(withTrailer(12, partTrailer(region(12, 6), region(18, 4))), /regions end at 22/, readPartitionBlob);
	refuses(withTrailer(12, partTrailer(region(12, 6, [4]), region(18, 6))), /length 6 does not match/, readPartitionBlob);
	refuses(withTrailer(12, JSON.stringify({chunk_number: 0, layer: 0, regions: {weights: region(12, 12)}})), /optimizer_state is missing/, readPartitionBlob);
});

// ---- Range reads through the real devnet object store ----

let storeDir: string;
let store: ObjectStore;
let presigner: Presigner;
before(async () => {
	storeDir = mkdtempSync(join(tmpdir(), 'iota-blob-store-'));
	store = await startObjectStore({directory: storeDir});
	presigner = new Presigner(makeS3Client({endpoint: store.url, bucket: store.bucket, accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey}), store.bucket);
});
after(async () => {
	await store?.close();
	if (storeDir && existsSync(storeDir)) rmSync(storeDir, {recursive: true, force: true});
});

async function put(key: string, bytes: Uint8Array): Promise<string> {
	const r = await fetch(await presigner.putUrl(key, 60), {method: 'PUT', body: Buffer.from(bytes)});
	assert.equal(r.status, 200);
	return presigner.getUrl(key, 60);
}

/** Counts the Range headers asked for, to show only header, trailer and one section travel. */
function countingFetch(log: string[]) {
	return async (url: string, init: {headers: Record<string, string>}) => { log.push(init.headers.Range!); return fetch(url, init); };
}

test('Range read of one section through presigned GET returns exactly that section', async () => {
	const n = 100_003;
	const values = toBf16(Float32Array.from({length: n}, (_, i) => Math.cos(i / 7)));
	const {bytes, trailer} = buildWeightsBlob(values, 16, 9);
	const url = await put('weights/hk/3/1/w.blob', bytes);
	const log: string[] = [];
	const got = await fetchWeightsSection(url, 15, countingFetch(log));
	const s = trailer.sections['15']!;
	assert.deepEqual(got.section, s);
	assert.equal(s.end_idx, n);
	assert.equal(got.values.length, n - 15 * Math.floor(n / 16));
	assert.deepEqual([...got.values], [...values.subarray(s.start_idx, s.end_idx)]);
	const t = bytes.length - 1;
	assert.deepEqual(log, ['bytes=0-11', `bytes=${12 + 2 * n}-${t}`, `bytes=${s.start_byte}-${s.end_byte - 1}`]);
	const mid = await fetchWeightsSection(url, 3);
	assert.deepEqual([...mid.values], [...values.subarray(3 * 6250, 4 * 6250)]);
	await assert.rejects(fetchWeightsSection(url, 16), /no section 16/);
});

test('Range read of a partition region and refusal of hostile remote blobs', async () => {
	const weights = bf16Ramp(777);
	const momentum = bf16Ramp(777, 0.125);
	const url = await put('partitions/hk/3/1/p.blob', buildPartitionBlob({weights, optimizerState: momentum, chunkNumber: 5, layer: 1}).bytes);
	const got = await fetchPartitionRegion(url, 'optimizer_state');
	assert.equal(got.trailer.chunk_number, 5);
	assert.deepEqual([...got.values], [...momentum]);
	assert.deepEqual([...(await fetchPartitionRegion(url, 'weights')).values], [...weights]);
	const past = await put('weights/hk/3/1/bad1.blob', withTrailer(12, weightsTrailer({0: sec(0, 6)}), 5000));
	await assert.rejects(fetchWeightsTrailer(past), /^UserError: bad blob: trailer offset 5000 is past the end|bad blob: trailer offset 5000 is past the end/);
	const overlap = await put('weights/hk/3/1/bad2.blob', withTrailer(12, weightsTrailer({0: sec(0, 4), 1: sec(2, 6)})));
	await assert.rejects(fetchWeightsSection(overlap, 0), /bad blob: section 1 starts at 2/);
	const tiny = await put('weights/hk/3/1/bad3.blob', Uint8Array.of(1, 0, 0));
	await assert.rejects(fetchWeightsTrailer(tiny), /ranged GET/);
});
