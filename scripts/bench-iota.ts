// IOTA-stage part of `npm run bench`: one training step of source/training/llama3's LlamaStage (forward +
// backward + the inner optimizer step) per case, on one TF.js backend. bench.ts runs this file as a child
// process per backend, so a backend that cannot load or a case that runs out of memory stays contained.
// Child usage: node --import tsx scripts/bench-iota.ts --backend wasm --cases '<json IotaCase[]>' --steps N
// Prints one JSON row per case (a skipped case: tokens_per_s null and `skipped`).
import {spawnSync} from 'node:child_process';
import {parseArgs} from 'node:util';
import type * as tfTypes from '@tensorflow/tfjs';
import {getPublicModel, type PublicModel, type StageKind} from '../source/training/llama3/config.js';
import {initParam, type InitSpec} from '../source/training/llama3/init.js';
import {IOTA_INNER, stageBeta1} from '../source/training/llama3/inner-optimizer.js';

/** noOptimizer: time forward+backward only (bench.ts retries so when the optimizer step alone runs out of memory).
 * optIn: runs only when --iota-cases names it (IOTA's 1B stages: a GPU's work). */
export type IotaCase = {case: string; model: string; kind: StageKind; batch: number; seq: number; shape: string; noOptimizer?: boolean; optIn?: boolean};

/** IOTA_BENCH_TINY=1 shrinks every config but devnet/tiny to a few dims (same layers and splits): a dry run of a GPU
 * script's 1B cases on a machine without a GPU, in seconds. The numbers mean nothing. */
export const tinyBench = () => process.env.IOTA_BENCH_TINY === '1';
export function benchModel(name: string): PublicModel {
	const m = getPublicModel(name);
	if (!tinyBench() || name === 'devnet' || name === 'tiny') return m;
	return {...m, cfg: {...m.cfg, vocab_size: 1024, emb_dim: 64, hidden_dim: 128, n_heads: 4, n_kv_groups: 2, bottleneck_dim: 16}};
}

/** devnet head/body/tail at its full context, 100M head/tail at a small batch (its 128,256-row embedding and output head
 * dominate); 1B head/body/tail (opt-in: `--iota-cases 1B`) at the miner's batch 1. */
export function iotaCases(o: {batch100m: number; seq100m: number; batchDevnet: number; seqDevnet: number; batch1b?: number; seq1b?: number}): IotaCase[] {
	const make = (model: string, kind: StageKind, batch: number, seq: number): IotaCase => {
		const {cfg, splits} = benchModel(model);
		const s = splits.find(x => x.kind === kind)!;
		return {case: `iota-${model}/${kind}`, model, kind, batch, seq,
			shape: `B${batch} S${seq} E${cfg.emb_dim} L${s.start}-${s.end} V${cfg.vocab_size} +NAdam`};
	};
	return [
		...(['head', 'body', 'tail'] as const).map(k => make('devnet', k, o.batchDevnet, o.seqDevnet)),
		make('100M', 'head', o.batch100m, o.seq100m),
		make('100M', 'tail', o.batch100m, o.seq100m),
		...(['head', 'body', 'tail'] as const).map(k => ({...make('1B', k, o.batch1b ?? 1, o.seq1b ?? 800), optIn: true})),
	];
}

type Row = {case: string; backend: string; shape: string; tokens_per_s: number; ms_per_step: number; peak_rss_mb: number; reference: string | null; ratio_vs_reference: number | null;
	fwd_bwd_ms?: number | null; optimizer_ms?: number | null; skipped?: string; note?: string; [k: string]: unknown};
type RunOptions = {backends: string[]; torchDevices: string[]; steps: number; full: boolean; python?: string; cases?: string;
	batch100m: number; seq100m: number; batch1b?: number; seq1b?: number; log: (s: string) => void;
	/** PyTorch precisions per device (default fp32; bench.ts asks fp32,bf16 on cuda). */
	precisions?: (device: string) => string};

const lastLine = (s: string | null) => (s ?? '').trim().split('\n').at(-1) ?? '';
const skipped = (c: IotaCase, backend: string, why: string) => ({case: c.case, backend, shape: c.shape, tokens_per_s: null, ms_per_step: null,
	peak_rss_mb: null, reference: null, ratio_vs_reference: null, skipped: why}) as unknown as Row;

/**
 * A child per backend (fresh heap, one setBackend). A child stops at its first failed case, since wasm's heap
 * is not usable after running out of memory; the rest run in a new child. A crash or timeout skips one case.
 */
function tfjsChild(backend: string, cases: IotaCase[], steps: number): Row[] {
	const out: Row[] = [];
	while (out.length < cases.length) {
		const rest = cases.slice(out.length);
		const got = tfjsSpawn(backend, rest, steps);
		out.push(...got);
		if (got.some(r => r.skipped?.startsWith('backend did not load'))) break;
	}
	return out;
}

function tfjsSpawn(backend: string, cases: IotaCase[], steps: number): Row[] {
	const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--backend', backend, '--steps', String(steps), '--cases', JSON.stringify(cases)],
		{encoding: 'utf8', maxBuffer: 1 << 24, timeout: 600_000});
	const rows = (r.stdout ?? '').split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Row);
	const why = r.error ? r.error.message : `child exited ${r.status ?? r.signal}: ${lastLine(r.stderr)}`;
	return rows.length ? rows : [skipped(cases[0]!, backend, why.slice(0, 160))];
}

export function runIota(o: RunOptions): {rows: Row[]; refs: Row[]} {
	const words = o.cases?.split(',').map(w => w.trim()).filter(Boolean);
	const cases = iotaCases({batch100m: o.batch100m, seq100m: o.seq100m, batchDevnet: 2, seqDevnet: 128, batch1b: o.batch1b, seq1b: o.seq1b})
		.filter(c => (words ? words.some(w => c.case.includes(w)) : !c.optIn));
	const rows: Row[] = [];
	for (const b of o.backends) {
		o.log(`iota stages on ${b}`);
		// Plain JS cpu needs minutes per 100M step (a 128,256-wide output head): only with --full.
		const slow = (c: IotaCase) => b === 'cpu' && !o.full && c.model === '100M';
		const run = tfjsChild(b, cases.filter(c => !slow(c)), o.steps);
		for (const c of cases) {
			const r = slow(c) ? skipped(c, b, 'plain cpu takes minutes per 100M step (--full runs it)') : run.find(x => x.case === c.case)!;
			if (String(r.backend_detail ?? '').includes('software')) r.note = `software adapter: ${r.backend_detail}`;
			rows.push(r);
			const mib = (r.gpu_mb ?? r.tensor_mb) as number | undefined;
			o.log(`  ${b} ${c.case}: ${r.skipped ? `skipped (${r.skipped})` : `${r.ms_per_step.toFixed(1)} ms/step${mib === undefined ? '' : `, ${mib.toFixed(0)} MiB`} on ${r.backend_detail}`}`);
			// An optimizer step that runs out of memory (wasm's 4 GiB heap on a bigger stage): time forward+backward alone.
			if (r.skipped?.startsWith('optimizer step')) {
				const fb = tfjsSpawn(b, [{...c, noOptimizer: true, shape: c.shape.replace(' +NAdam', '')}], o.steps)[0]!;
				if (!fb.skipped) fb.note = 'forward+backward only (optimizer step skipped above)';
				rows.push(fb);
				o.log(`  ${b} ${c.case} forward+backward only: ${fb.skipped ? `skipped (${fb.skipped})` : `${fb.ms_per_step.toFixed(1)} ms`}`);
			}
		}
	}
	const refs: Row[] = [];
	for (const d of o.torchDevices) {
		if (!o.python) { o.log(`  pytorch-${d}: no python3 with torch (Debian: apt-get install python3-torch; or --python PATH)`); break; }
		o.log(`iota stages on pytorch ${d}`);
		const list = cases.map(c => {
			const {cfg, splits} = benchModel(c.model);
			const layer = splits.findIndex(s => s.kind === c.kind);
			return {...c, cfg, split: splits[layer], optimizer: {...IOTA_INNER, beta1: stageBeta1(splits.length, layer)}};
		});
		const precisions = o.precisions?.(d) ?? 'fp32';
		const r = spawnSync(o.python, [new URL('./bench_iota_torch.py', import.meta.url).pathname, '--device', d, '--steps', String(o.steps),
			'--precisions', precisions, '--cases', JSON.stringify(list)], {encoding: 'utf8', maxBuffer: 1 << 24, timeout: 600_000});
		const got = (r.stdout ?? '').split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Row);
		for (const c of cases) for (const p of precisions.split(',')) {
			const name = torchBackend(d, p);
			const x = got.find(g => g.case === c.case && g.backend === name) ?? skipped(c, name, `python exited ${r.status ?? r.signal}: ${lastLine(r.stderr)}`.slice(0, 160));
			// Debian's torch calls whatever libblas.so.3 is: the netlib reference BLAS is ~10x slower than OpenBLAS.
			if (x.blas === 'reference') x.note = 'reference BLAS: apt-get install libopenblas0-pthread for a fair number';
			refs.push(x);
			o.log(`  ${name} ${c.case}: ${x.skipped ? `skipped (${x.skipped})` : `${x.ms_per_step.toFixed(1)} ms/step${x.max_memory_mb ? `, ${(x.max_memory_mb as number).toFixed(0)} MiB` : ''}`}`);
		}
	}
	return {rows, refs};
}

/** PyTorch's row backend for a device and precision (bench_iota_torch.py's names): CPU fp32 stays `pytorch-cpu`. */
export const torchBackend = (device: string, precision: string) =>
	precision === 'fp32' ? (device === 'cuda' ? 'pytorch-cuda-fp32' : `pytorch-${device}`) : `pytorch-${device}-${precision}`;

/** Ratio of tokens/s against PyTorch on the same case (CUDA fp32 for GPU backends where it ran, else CPU); fb-only rows
 * against PyTorch's forward+backward. Where PyTorch's bf16 autocast ran on the same device, `ratio_vs_bf16` too. */
export function ratioIota(r: Row, refs: Row[]): void {
	if (r.skipped) return;
	const gpu = r.backend === 'webgpu' || r.backend === 'cuda';
	const ok = (dev: string) => refs.find(x => x.backend === dev && x.case === r.case && !x.skipped);
	const ref = (gpu ? ok('pytorch-cuda-fp32') : undefined) ?? ok('pytorch-cpu');
	if (!ref) return;
	const fbOnly = r.optimizer_ms === null;
	const ratio = (x: Row) => Math.round((fbOnly ? x.fwd_bwd_ms! / r.fwd_bwd_ms! : r.tokens_per_s / x.tokens_per_s) * 1000) / 1000;
	r.reference = fbOnly ? `${ref.backend} fwd+bwd` : ref.backend;
	r.ratio_vs_reference = ratio(ref);
	const bf16 = ok(ref.backend === 'pytorch-cpu' ? 'pytorch-cpu-bf16' : 'pytorch-cuda-bf16');
	if (bf16) r.ratio_vs_bf16 = ratio(bf16);
}

/** Deterministic ids and activations (LCG / sine), no tf randomness in the timed loop. */
function inputs(n: number, vocab: number, width: number, seed: number) {
	let s = seed;
	const ids = Int32Array.from({length: n}, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % vocab);
	const act = Float32Array.from({length: n * width}, (_, i) => Math.sin(i * 0.37 + seed));
	return {ids, act};
}

let phase = 'init';

/**
 * The stage's seeded init, except that a tensor over 4M values repeats its first 1M values (tiled on the backend): what
 * is timed does not depend on the values, and IOTA's 1B stages hold ~500M parameters, ~20 s of JS random numbers each.
 */
function benchWeights(tf: typeof tfTypes, stage: {params: ReadonlyArray<InitSpec>}): tfTypes.Tensor[] {
	const period = 1 << 20;
	return stage.params.map(p => {
		const n = p.shape.reduce((a, b) => a * b, 1);
		if (n <= 4 * period || p.init !== 'normal') return tf.tensor(initParam(p, 1), p.shape);
		return tf.tidy(() => tf.reshape(tf.slice(tf.tile(tf.tensor1d(initParam({...p, shape: [period]}, 1)), [Math.ceil(n / period)]), 0, n), p.shape));
	});
}

/** webgpu: the bytes its buffer pool has allocated on the GPU (it reuses, never frees, buffers: the peak); else nothing. */
function gpuPool(tf: typeof tfTypes): {gpu_mb?: number} {
	const m = tf.memory() as {numBytesAllocatedInGPU?: number};
	return m.numBytesAllocatedInGPU === undefined ? {} : {gpu_mb: m.numBytesAllocatedInGPU / 2 ** 20};
} // named in a skipped row: which part ran out of memory

async function runCase(tf: typeof tfTypes, c: IotaCase, steps: number, backend: string) {
	phase = 'init';
	const {LlamaStage} = await import('../source/training/llama3/stages.js');
	const {InnerOptimizer} = await import('../source/training/llama3/inner-optimizer.js');
	const {cfg, splits} = benchModel(c.model);
	const layer = splits.findIndex(x => x.kind === c.kind);
	const stage = new LlamaStage(cfg, splits[layer]!);
	let w = benchWeights(tf, stage);
	const opt = InnerOptimizer.forStage(splits.length, layer, false, w.length);
	const {batch: b, seq: t} = c;
	try {
		const split: Array<[number, number]> = []; // [forward+backward, optimizer] ms per step
		let held = 0;
		const once = async (i: number) => {
			const {ids, act} = inputs(b * t, cfg.vocab_size, cfg.bottleneck_dim, i + 1);
			const t0 = performance.now();
			const x = c.kind === 'head' ? tf.tensor2d(ids, [b, t], 'int32') : tf.tensor3d(act, [b, t, cfg.bottleneck_dim]);
			phase = 'forward+backward';
			const r = c.kind === 'tail'
				? stage.lossBackward(w, x, ids)
				: stage.backward(w, x, tf.tensor3d(inputs(b * t, 1, cfg.bottleneck_dim, i + 7).act, [b, t, cfg.bottleneck_dim]));
			// What a miner ships: the activations (head, body) and the input gradient (body, tail).
			if (c.kind !== 'tail') await r.output.data();
			if ('loss' in r) await (r.loss as tfTypes.Scalar).data();
			if (r.inputGrad) await r.inputGrad.data();
			const t1 = performance.now();
			held = Math.max(held, tf.memory().numBytes); // weights, optimizer state, gradients and outputs
			phase = 'optimizer step';
			const next = c.noOptimizer ? w : opt.step(w, r.weightGrads);
			await tf.slice(next.at(-1)!, 0, 1).data(); // the queue is in order: this waits for the whole step
			const ms = performance.now() - t0;
			held = Math.max(held, tf.memory().numBytes);
			split.push([t1 - t0, ms - (t1 - t0)]);
			for (let k = 0; k < w.length; k++) if (next[k] !== w[k]) w[k]!.dispose();
			w = next;
			tf.dispose([x, r.output, r.inputGrad ?? [], ...r.weightGrads.filter(g => g) as tfTypes.Tensor[]]);
			return ms;
		};
		await once(0); // warm-up: wasm tiering, shader compile, optimizer state allocation
		const times: number[] = [];
		for (let i = 1; i <= steps; i++) times.push(await once(i));
		const ms = [...times].sort((a, z) => a - z)[Math.floor(times.length / 2)]!;
		const at = split.slice(1)[times.indexOf(ms)]!;
		return {case: c.case, backend, shape: c.shape, tokens_per_s: (b * t) / (ms / 1000), ms_per_step: ms,
			peak_rss_mb: process.resourceUsage().maxRSS / 1024, reference: null, ratio_vs_reference: null, steps,
			fwd_bwd_ms: at[0], optimizer_ms: c.noOptimizer ? null : at[1],
			// Most bytes of live tensors seen (after forward+backward, after the step); on webgpu also what its buffer pool holds.
			tensor_mb: held / 2 ** 20, ...gpuPool(tf)};
	} finally {
		tf.dispose(w);
		opt.dispose();
		stage.dispose();
	}
}

async function child() {
	const {values: a} = parseArgs({options: {backend: {type: 'string'}, cases: {type: 'string'}, steps: {type: 'string', default: '3'}}});
	const cases = JSON.parse(a.cases!) as IotaCase[];
	const backend = a.backend!;
	const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
	const skip = (c: IotaCase, why: string) => emit({case: c.case, backend, shape: c.shape, tokens_per_s: null, ms_per_step: null,
		peak_rss_mb: process.resourceUsage().maxRSS / 1024, reference: null, ratio_vs_reference: null, skipped: why});
	const tf = await import('@tensorflow/tfjs');
	const {initBackend} = await import('../source/training/backend.js');
	let detail = '';
	try {
		detail = (await initBackend(backend as Parameters<typeof initBackend>[0])).detail;
	} catch (e) {
		for (const c of cases) skip(c, `backend did not load: ${(e as Error).message.split('\n')[0]}`);
		return;
	}
	const {takeWebgpuErrors} = await import('../source/training/backend.js');
	for (const c of cases) {
		try {
			const row = await runCase(tf, c, Math.max(1, Number(a.steps)), backend);
			await new Promise(r => setTimeout(r, 20)); // WebGPU error events arrive through the event loop
			// A WebGPU validation error (a binding over the device limit) leaves zeros, not an exception: not a valid timing.
			const errors = takeWebgpuErrors();
			if (errors.length) { skip(c, `webgpu error: ${errors[0]}`.slice(0, 300)); continue; }
			emit({...row, backend_detail: detail});
		} catch (e) {
			skip(c, `${phase}: ${(e as Error).message.split('\n')[0]!.slice(0, 160)}`);
			return;
		}
	}
}

if (import.meta.url === `file://${process.argv[1]}`) await child();
