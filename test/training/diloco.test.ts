// IOTA's DiLoCo maths (source/training/diloco/) against a PyTorch reference written from the documented update
// (torch_ref/diloco_ref.py): chunk ranges, the per-chunk merge bit for bit in bf16, pseudo-gradients and their clip,
// the download check and the partition blob. The rules that need no PyTorch are checked first.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {before, test} from 'node:test';
import {bf16ToBytes, bytesToBf16, toBf16} from '../../source/training/bf16.js';
import {readPartitionBlob} from '../../source/training/blob.js';
import {
	applyMergedPartitions,
	averagePseudoGradients,
	bf16L2Norm,
	bf16Value,
	chunkRange,
	clipPseudoGradient,
	cosineSimilarity,
	mergeChunk,
	outerMomentum,
	preparePseudoGradient,
	pseudoGradient,
	pseudoGradientMaxNorm,
	scalarToBf16,
	selectSources,
	sliceChunk,
	spliceChunk,
	type ScalarRounding,
} from '../../source/training/diloco/index.js';
import {findTorchPython, torchSkip} from './torch_ref/bridge.js';

const REF = fileURLToPath(new URL('./torch_ref/diloco_ref.py', import.meta.url));
const python = findTorchPython();
const skip = torchSkip(python);

const bf = (values: number[]) => toBf16(Float32Array.from(values));
const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], h => parseInt(h, 16));
const hexBf16 = (hex: string) => bytesToBf16(fromHex(hex));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function ref(args: string[], stdin?: string): unknown {
	const r = spawnSync(python!, [REF, ...args], {input: stdin, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 300_000});
	if (r.status !== 0) throw new Error(`diloco_ref.py ${args[0]} failed (${r.status ?? r.signal}): ${r.stderr}`);
	return JSON.parse(r.stdout);
}

/** Indices where two bf16 vectors differ bit for bit. */
function diffs(a: Uint16Array, b: Uint16Array): number[] {
	assert.equal(a.length, b.length, 'lengths');
	const out: number[] = [];
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
	return out;
}
const show = (a: Uint16Array, b: Uint16Array, at: number[]) =>
	at.slice(0, 3).map(i => `[${i}] ${bf16Value(a[i]!)} vs ${bf16Value(b[i]!)}`).join(', ');

// ---- without PyTorch ----

test('outer momentum warms up 0.5 -> 0.9 over 20 epochs, then stays 0.9', () => {
	assert.equal(outerMomentum(0), 0.5);
	assert.equal(outerMomentum(7), 0.5 + 0.4 * (7 / 20));
	assert.ok(Math.abs(outerMomentum(7) - 0.64) < 1e-15);
	assert.ok(Math.abs(outerMomentum(19) - 0.88) < 1e-15);
	assert.equal(outerMomentum(20), 0.9);
	assert.equal(outerMomentum(25), 0.9);
	assert.throws(() => outerMomentum(-1), /non-negative integer/);
});

test('torch CPU makes add()\'s alpha a bf16: lr 0.7 acts as 0.69921875 and momentum 0.9 as 0.8984375', () => {
	assert.equal(scalarToBf16(-0.7), -0.69921875);
	assert.equal(scalarToBf16(0.9), 0.8984375);
	assert.equal(scalarToBf16(0.5), 0.5);
	assert.equal(scalarToBf16(0.64), 0.640625);
});

test('chunk ranges: floor(N/P) each, the last takes the remainder; splice writes only its chunk', () => {
	assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(c => chunkRange(1000, 7, c)), [
		{start: 0, end: 142}, {start: 142, end: 284}, {start: 284, end: 426}, {start: 426, end: 568},
		{start: 568, end: 710}, {start: 710, end: 852}, {start: 852, end: 1000},
	]);
	assert.deepEqual(chunkRange(3, 5, 2), {start: 0, end: 0});
	assert.deepEqual(chunkRange(3, 5, 4), {start: 0, end: 3});
	assert.throws(() => chunkRange(10, 3, 3), /not in 0..2/);
	assert.throws(() => chunkRange(10, 3, -1), /not in 0..2/);
	const full = new Uint16Array(10).fill(7);
	spliceChunk(full, 3, 1, [1, 2, 3]);
	assert.deepEqual([...full], [7, 7, 7, 1, 2, 3, 7, 7, 7, 7]);
	assert.deepEqual([...sliceChunk(full, 3, 2)], [7, 7, 7, 7]);
	assert.throws(() => spliceChunk(full, 3, 2, [1, 2, 3]), /needs 4 elements/);
});

test('sources: a failed trailer is dropped; fewer than 5 local steps (missing = 0) only when enforced', () => {
	const results = [
		{trailer: {local_optimization_steps: 12}},
		{error: new Error('HTTP 403')},
		{trailer: {local_optimization_steps: 4}},
		{trailer: {}},
		{trailer: {local_optimization_steps: 5}},
	];
	assert.deepEqual(selectSources(results, {enforceMinSteps: false}).kept, [0, 2, 3, 4]);
	const enforced = selectSources(results, {enforceMinSteps: true});
	assert.deepEqual(enforced.kept, [0, 4]);
	assert.deepEqual(enforced.dropped.map(d => d.index), [1, 2, 3]);
	assert.match(enforced.dropped[0]!.reason, /HTTP 403/);
});

test('average: weighted fp32 mean; a source without weighting_factor, without data or of another length is skipped', () => {
	const a = bf([1, 2, 3]), b = bf([4, 5, 6]);
	const r = averagePseudoGradients([
		{values: a, weightingFactor: 1},
		{values: b, weightingFactor: null},
		{values: null, weightingFactor: 3},
		{values: bf([1, 1]), weightingFactor: 3},
		{values: b, weightingFactor: 2},
	], {weighted: true, expectedLength: 3});
	assert.deepEqual([...r.values].map(bf16Value), [3, 4, 5]);
	assert.deepEqual(r.used, [0, 4]);
	assert.deepEqual(r.skipped.map(s => s.index), [1, 2, 3]);
	assert.equal(r.totalWeight, 3);
	// Unweighted: every factor is 1, a missing one too.
	const plain = averagePseudoGradients([{values: a, weightingFactor: 9}, {values: b}], {weighted: false, expectedLength: 3});
	assert.deepEqual([...plain.values].map(bf16Value), [2.5, 3.5, 4.5]);
	// A lone negative zero stays negative zero (torch starts the sum from the first term, not from 0).
	assert.equal(averagePseudoGradients([{values: bf([-0]), weightingFactor: 1}], {weighted: true, expectedLength: 1}).values[0], 0x8000);
	assert.throws(() => averagePseudoGradients([{values: a, weightingFactor: 0}], {weighted: true, expectedLength: 3}), /add up to 0/);
	assert.throws(() => averagePseudoGradients([{values: null}], {weighted: false, expectedLength: 3}), /no pseudo-gradient/);
});

test('merge: an empty chunk and a momentum of the wrong length are refused; the blob carries weights then momentum', () => {
	const base = {chunkNumber: 2, layer: 1, epoch: 3, weighted: true, oldMomentum: null};
	assert.throws(() => mergeChunk({...base, oldWeights: new Uint16Array(0), sources: [{values: new Uint16Array(0), weightingFactor: 1}]}), /empty/);
	assert.throws(() => mergeChunk({...base, oldWeights: bf([1, 2]), oldMomentum: bf([1]), sources: [{values: bf([1, 2]), weightingFactor: 1}]}), /momentum/);
	const r = mergeChunk({...base, oldWeights: bf([1, 2]), sources: [{values: bf([0.5, -1]), weightingFactor: 1}]});
	// No old state: buf = avg (and new = w - bf16(0.7) * (avg + bf16(mu) * buf), each op rounded to bf16).
	assert.deepEqual([...r.momentum].map(bf16Value), [0.5, -1]);
	const back = readPartitionBlob(r.blob.bytes);
	assert.deepEqual([...back.weights], [...r.weights]);
	assert.deepEqual([...back.optimizerState], [...r.momentum]);
	assert.equal(back.trailer.chunk_number, 2);
	assert.equal(back.trailer.layer, 1);
});

test('download check: cosine < 0.9 or NaN rejects a chunk except on the first download; under 90 % applies nothing', () => {
	const current = bf([1, 2, 3, 4, 0, 0, 1, 1, 1, 1]);
	const parts = [
		{chunkNumber: 0, values: bf([1.1, 1.9])},  // cosine ~1: applied
		{chunkNumber: 1, values: bf([-3, 4])},     // cosine 0.28: rejected
		{chunkNumber: 2, values: bf([1, 1])},      // old shard all zeros: NaN, rejected
		{chunkNumber: 3, values: null},            // download failed
		{chunkNumber: 4, values: bf([1, 1, 1])},   // wrong length for [8, 10)
	];
	const r = applyMergedPartitions(current, 5, parts, {firstDownload: false});
	assert.deepEqual(r.applied, [0]);
	assert.deepEqual(r.rejected.map(x => x.chunkNumber), [1, 2, 3, 4]);
	assert.ok(Math.abs(r.rejected[0]!.cosine! - cosineSimilarity(bf([3, 4]), bf([-3, 4]))) < 1e-12);
	assert.equal(r.successPct, 20);
	assert.equal(r.status, 'partial');
	assert.deepEqual([...r.weights.subarray(0, 2)].map(bf16Value), [1.1015625, 1.8984375], 'the copy has chunk 0 spliced');
	assert.deepEqual([...current.subarray(0, 2)].map(bf16Value), [1, 2], 'the input is left alone');
	const first = applyMergedPartitions(current, 5, parts.slice(0, 3), {firstDownload: true});
	assert.deepEqual(first.applied, [0, 1, 2]);
	assert.equal(first.status, 'applied');
	// fp32 weights (a trainer's) take the chunk's bf16 values.
	const f32 = applyMergedPartitions(Float32Array.from([0.1, 0.2, 0.3]), 1, [{chunkNumber: 0, values: bf([0.1, 0.2, 0.3])}], {firstDownload: false});
	assert.equal(f32.status, 'applied');
	assert.ok(f32.weights instanceof Float32Array);
	assert.equal(f32.weights[0], bf16Value(bf([0.1])[0]!));
	assert.equal(applyMergedPartitions(current, 5, [], {firstDownload: false}).status, 'none');
	assert.equal(applyMergedPartitions(current, 5, [{chunkNumber: 7, values: bf([1])}], {firstDownload: true}).status, 'partial');
});

test('pseudo-gradient: bf16 and fp32 inputs give the same result; NaN or infinity is never uploaded', () => {
	const prev = bf([1, 0.5, -2]), cur = bf([0.75, 0.5, 2]);
	const pg = pseudoGradient(prev, cur);
	assert.deepEqual([...pg].map(bf16Value), [0.25, 0, -4]);
	assert.deepEqual([...pseudoGradient(Float32Array.from([1, 0.5, -2]), cur)], [...pg]);
	assert.throws(() => preparePseudoGradient(bf([3e38]), bf([-3e38])), /infinite/);
	assert.throws(() => preparePseudoGradient(Float32Array.from([Number.NaN]), bf([0])), /NaN/);
	assert.throws(() => pseudoGradient(prev, bf([1])), /lengths differ/);
	// Clip: bound from grad_clip_norm and the stage's share of parameters; only a norm above it scales.
	assert.equal(pseudoGradientMaxNorm(1, 25, 100), 0.5);
	const c = clipPseudoGradient(bf([3, 4]), 1);
	assert.equal(c.norm, 5);
	assert.ok(c.clipped);
	assert.deepEqual([...c.values].map(bf16Value), [0.6015625, 0.80078125]);
	assert.deepEqual([...preparePseudoGradient(bf([3, 4]), bf([0, 0]), {clipMaxNorm: 1})], [...c.values]);
	assert.equal(clipPseudoGradient(bf([3, 4]), 5).clipped, false, 'norm equal to the bound: no clip');
});

// ---- against PyTorch ----

type MergeCase = {
	n: number; parts: number; factors: Array<number | null>; weighted: boolean; epoch: number; mu: number;
	old_w: string; grads: string[]; old_buf: string | null; chunks: Array<[number, number]>;
	w_spec: string; b_spec: string; w_lit: string; b_lit: string;
};
type PseudoCase = {prev: string; cur: string; pg: string; norm: number; clips: Array<{max_norm: number; spec: string; lit: string}>; prev32: string; cur32: string; pg32: string};
type Cases = {
	torch: string; mul_scalar_rounding: ScalarRounding; cpu_capability: string; merge: MergeCase[]; pseudo: PseudoCase[];
	cosine: Array<{old: string; new: string; cos: number | null}>; ranges: number[][]; pct_max_total: number; pct: string;
};
let cases: Cases;

before(() => {
	if (!skip) cases = ref(['cases']) as Cases;
});

/** Every non-empty chunk of a case merged by mergeChunk; empty chunks must be refused. */
function mergeAll(c: MergeCase, scalarRounding?: ScalarRounding) {
	const oldW = hexBf16(c.old_w), grads = c.grads.map(hexBf16), oldBuf = c.old_buf ? hexBf16(c.old_buf) : null;
	const weights = new Uint16Array(c.n), momentum = new Uint16Array(c.n);
	const chunks: Array<{start: number; end: number}> = [];
	for (let chunk = 0; chunk < c.parts; chunk++) {
		const {start, end} = chunkRange(c.n, c.parts, chunk);
		chunks.push({start, end});
		const input = {
			chunkNumber: chunk, layer: 0, epoch: c.epoch, weighted: c.weighted, scalarRounding,
			oldWeights: oldW.subarray(start, end),
			oldMomentum: oldBuf ? oldBuf.subarray(start, end) : null,
			sources: grads.map((g, k) => ({values: g.subarray(start, end), weightingFactor: c.factors[k]})),
		};
		if (end === start) { assert.throws(() => mergeChunk(input), /empty/); continue; }
		const r = mergeChunk(input);
		weights.set(r.weights, start);
		momentum.set(r.momentum, start);
	}
	return {weights, momentum, chunks};
}

const label = (c: MergeCase) => `N ${c.n}, ${c.parts} partitions, factors ${JSON.stringify(c.factors)}${c.weighted ? '' : ' (unweighted)'}, epoch ${c.epoch}, ${c.old_buf ? 'with' : 'no'} old momentum`;

test('chunk ranges equal IOTA\'s get_start_and_end_indices (Python) for N 0..40 and large, 1..12, 97, 1000 partitions', {skip}, () => {
	assert.ok(cases.ranges.length > 2000);
	for (const [n, parts, chunk, start, end] of cases.ranges) {
		assert.deepEqual(chunkRange(n!, parts!, chunk!), {start, end}, `N ${n}, ${parts} partitions, chunk ${chunk}`);
	}
});

test('merge equals PyTorch bit for bit: average, Nesterov step and momentum, all chunks, epochs 0/7/20/25, with and without old momentum', {skip}, () => {
	assert.equal(cases.merge.length, 7 * 4 * 2);
	for (const c of cases.merge) {
		assert.equal(outerMomentum(c.epoch), c.mu, `momentum at epoch ${c.epoch}`);
		const mine = mergeAll(c);
		assert.deepEqual(mine.chunks.map(({start, end}) => [start, end]), c.chunks, `${label(c)}: ranges`);
		const w = diffs(mine.weights, hexBf16(c.w_spec)), b = diffs(mine.momentum, hexBf16(c.b_spec));
		assert.equal(w.length, 0, `${label(c)}: ${w.length} weights differ: ${show(mine.weights, hexBf16(c.w_spec), w)}`);
		assert.equal(b.length, 0, `${label(c)}: ${b.length} momentum values differ: ${show(mine.momentum, hexBf16(c.b_spec), b)}`);
	}
});

/**
 * torch's CPU `self.add(other, alpha)` on bf16 for one contiguous run: the vectorised body (pairs of 16 bf16 lanes on
 * AVX2, 32 on AVX-512) does an fp32 FMA with alpha as a bf16; the elements past the last full pair go through the
 * scalar loop, which computes in c10::BFloat16: alpha * other rounded to bf16, then the sum rounded to bf16.
 */
function torchAddAlpha(self: Uint16Array, other: Uint16Array, alpha: number, step: number): Uint16Array {
	const a = scalarToBf16(alpha);
	const body = Math.floor(self.length / step) * step;
	const round = (x: number) => bf16Value(toBf16(Float32Array.of(x))[0]!);
	return Uint16Array.from(self, (s, i) => {
		const x = bf16Value(s), y = bf16Value(other[i]!);
		return toBf16(Float32Array.of(i < body ? x + a * y : x + round(a * y)))[0]!;
	});
}

test('merge against IOTA\'s literal op sequence on this torch: equal bit for bit once torch\'s scalar tail loop is modelled', {skip}, () => {
	// The module follows torch's vectorised loop everywhere; IOTA's `avg.add(buf, alpha=mu)` and `old_w.add(update,
	// alpha=-lr)` run the last (length mod 32 or 64) elements of each chunk through torch's scalar loop instead, which
	// may land a rounding apart. torch < 2.0 also rounds mul_'s Python float to bf16 (`scalarRounding`).
	const step = cases.cpu_capability.startsWith('AVX512') ? 64 : 32;
	let tail = 0, compared = 0;
	for (const c of cases.merge) {
		const mine = mergeAll(c, cases.mul_scalar_rounding);
		const b = diffs(mine.momentum, hexBf16(c.b_lit));
		assert.equal(b.length, 0, `${label(c)}: momentum differs from torch ${cases.torch}: ${show(mine.momentum, hexBf16(c.b_lit), b)}`);
		const lit = hexBf16(c.w_lit), oldW = hexBf16(c.old_w), grads = c.grads.map(hexBf16);
		for (const {start, end} of mine.chunks) {
			if (end === start) continue;
			const differ = diffs(mine.weights.subarray(start, end), lit.subarray(start, end));
			assert.ok(differ.every(i => i >= Math.floor((end - start) / step) * step), `${label(c)}: weights differ outside the scalar tail`);
			tail += differ.length;
			compared += end - start;
			// Replaying the two adds with the tail modelled gives torch's numbers exactly.
			const avg = averagePseudoGradients(grads.map((g, k) => ({values: g.subarray(start, end), weightingFactor: c.factors[k]})), {weighted: c.weighted, expectedLength: end - start}).values;
			const update = torchAddAlpha(avg, mine.momentum.subarray(start, end), c.mu, step);
			const weights = torchAddAlpha(oldW.subarray(start, end), update, -0.7, step);
			const left = diffs(weights, lit.subarray(start, end));
			assert.equal(left.length, 0, `${label(c)}: chunk [${start}, ${end}) with the tail modelled: ${show(weights, lit.subarray(start, end), left)}`);
		}
	}
	console.log(`IOTA's literal ops on torch ${cases.torch} (${cases.cpu_capability}, mul scalar ${cases.mul_scalar_rounding}): ${tail} of ${compared} weights differ from the module, all in scalar tails and all reproduced`);
});

test('pseudo-gradient, its bf16 norm and the clip equal PyTorch bit for bit', {skip}, () => {
	for (const [k, c] of cases.pseudo.entries()) {
		const pg = pseudoGradient(hexBf16(c.prev), hexBf16(c.cur));
		assert.deepEqual(diffs(pg, hexBf16(c.pg)), [], `case ${k}: bf16 inputs`);
		const f32 = (hex: string) => new Float32Array(fromHex(hex).buffer);
		assert.deepEqual(diffs(pseudoGradient(f32(c.prev32), f32(c.cur32)), hexBf16(c.pg32)), [], `case ${k}: fp32 inputs`);
		assert.equal(bf16L2Norm(pg), c.norm, `case ${k}: norm`);
		for (const clip of c.clips) {
			assert.deepEqual(diffs(clipPseudoGradient(pg, clip.max_norm).values, hexBf16(clip.spec)), [], `case ${k}: clip to ${clip.max_norm}`);
			const lit = clipPseudoGradient(pg, clip.max_norm, {scalarRounding: cases.mul_scalar_rounding}).values;
			assert.deepEqual(diffs(lit, hexBf16(clip.lit)), [], `case ${k}: clip to ${clip.max_norm}, literal pg * scale on torch ${cases.torch}`);
		}
	}
});

test('cosine equals IOTA\'s fp32 get_cosine_similarity, and the 90 % rule equals Python\'s for 1..60 partitions', {skip}, () => {
	for (const c of cases.cosine) {
		const mine = cosineSimilarity(hexBf16(c.old), hexBf16(c.new));
		if (c.cos === null) assert.ok(Number.isNaN(mine));
		else assert.ok(Math.abs(mine - c.cos) < 1e-6, `${mine} vs ${c.cos}`);
	}
	let at = 0;
	const one = bf([1]);
	for (let total = 1; total <= cases.pct_max_total; total++) {
		for (let ok = 0; ok <= total; ok++) {
			const parts = Array.from({length: total}, (_, i) => ({chunkNumber: i, values: i < ok ? one : null}));
			const r = applyMergedPartitions(new Uint16Array(total), total, parts, {firstDownload: true});
			assert.equal(r.status === 'partial' ? '1' : '0', cases.pct[at++], `${ok} of ${total}`);
		}
	}
	assert.equal(at, cases.pct.length);
});

test('partition blob round trip: the module reads its blob back and Python reads the same bytes', {skip}, () => {
	const c = cases.merge.find(m => m.n === 1031 && m.old_buf)!;
	const {start, end} = chunkRange(c.n, c.parts, 3);
	const r = mergeChunk({
		chunkNumber: 3, layer: 2, epoch: c.epoch, weighted: c.weighted,
		oldWeights: hexBf16(c.old_w).subarray(start, end),
		oldMomentum: hexBf16(c.old_buf!).subarray(start, end),
		sources: c.grads.map((g, k) => ({values: hexBf16(g).subarray(start, end), weightingFactor: c.factors[k]})),
	});
	const back = readPartitionBlob(r.blob.bytes);
	assert.deepEqual(diffs(back.weights, r.weights), []);
	assert.deepEqual(diffs(back.optimizerState, r.momentum), []);
	const py = ref(['readblob'], toHex(r.blob.bytes)) as {header: number[]; trailer: unknown; weights: string; optimizer_state: string};
	const n = end - start;
	assert.deepEqual(py.header, [1, 0, 12 + 4 * n]);
	assert.deepEqual(py.trailer, r.blob.trailer);
	assert.equal(py.weights, toHex(bf16ToBytes(r.weights)));
	assert.equal(py.optimizer_state, toHex(bf16ToBytes(r.momentum)));
	assert.deepEqual(diffs(r.weights, hexBf16(c.w_spec).subarray(start, end)), [], 'and it is the merged chunk');
});
