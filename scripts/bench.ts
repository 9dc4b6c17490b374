// Training benchmark (not a test): tokens/s of IOTA's Llama-3 stages on every TF.js backend that loads, against
// PyTorch on the same machine in the same run. PyTorch comes from `python3 -c "import torch"` (Debian:
// `apt-get install python3-torch`); this script installs nothing.
// Usage: npm run bench -- [--json] [--backends wasm,cpu] [--threads N] [--steps 3] [--block-seq 128] [--block-batch 1] [--torch-device cpu|cuda|cpu,cuda|none] [--python PATH] [--full]
//   [--suite worker,iota] [--iota-cases devnet,100M/tail] [--iota-batch 1] [--iota-seq 64] [--quick]
// --suite: worker = through the training worker (TrainerClient) as the miner and `train` use it: one devnet stage's
// forward + backward calls, the whole devnet model's train step (trainBatch + the stages' NAdam steps, what `train`
// runs) and one IOTA-1B-shaped block; iota = IOTA's exact stages in-process (source/training/llama3, bench-iota.ts).
// Both against test/training/torch_ref's PyTorch stages (bench_iota_torch.py). `old` is an alias of worker.
// --iota-cases keeps cases whose name contains one of the words; --iota-batch/--iota-seq size the 100M cases.
// --quick: one timed step, worker suite on wasm only. --threads: wasm's thread pool (IOTA_TUI_THREADS; default every core).
// --suite devnet: the real devnet and `iota-tui mine` processes (bench-devnet.ts): launch to first batch, dashboard vs
// headless throughput, event-loop p99, transfer overlap, peak RSS, P2P and store bytes/s; writes bench/results/devnet.json.
//   [--devnet-miners 3] [--devnet-window 40] [--devnet-warmup 10] [--devnet-backend cpu] [--devnet-out PATH]
// GPU (scripts/gpu-bench.sh): --torch-device cuda times PyTorch in fp32 and in its default bf16 autocast (rows
// pytorch-cuda-fp32 / pytorch-cuda-bf16; --torch-bf16 adds pytorch-cpu-bf16 on cpu), every row gets `device` (the GPU)
// and `date`, and a last table sets iota-tui's ms/step beside both. `--iota-cases 1B` adds IOTA's 1B head/body/tail
// ([--iota-1b-batch 1] [--iota-1b-seq 800]); IOTA_BENCH_TINY=1 shrinks the 1B shapes to a few dims for a dry run.
// --merge a.json,b.json: runs nothing; writes their rows together to --out and prints the summary table (what a
// script that runs the suites as separate, separately time-boxed calls ends with).
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {cpus} from 'node:os';
import {monitorEventLoopDelay} from 'node:perf_hooks';
import {parseArgs} from 'node:util';
import {backendNames, type BackendName} from '../source/training/backend.js';
import {TrainerClient} from '../source/training/client.js';
import {configs, type ModelConfig} from '../source/training/config.js';
import {llamaModelFor} from '../source/training/llama3/from-model-config.js';
import {IOTA_INNER, stageBeta1} from '../source/training/llama3/inner-optimizer.js';
import {float32, int32} from '../source/training/tensor-data.js';
import {ratioIota, runIota, tinyBench, torchBackend} from './bench-iota.js';

const {values: args} = parseArgs({options: {
	json: {type: 'boolean', default: false},
	backends: {type: 'string'},
	steps: {type: 'string', default: '3'},
	'block-seq': {type: 'string', default: '128'},
	'block-batch': {type: 'string', default: '1'},
	'torch-device': {type: 'string', default: 'cpu'},
	python: {type: 'string'},
	out: {type: 'string', default: 'bench/results/latest.json'},
	full: {type: 'boolean', default: false},
	suite: {type: 'string', default: 'worker,iota'},
	'iota-cases': {type: 'string'},
	'iota-batch': {type: 'string', default: '1'},
	'iota-seq': {type: 'string', default: '64'},
	quick: {type: 'boolean', default: false},
	threads: {type: 'string'},
	'devnet-miners': {type: 'string', default: '3'},
	'devnet-window': {type: 'string', default: '40'},
	'devnet-warmup': {type: 'string', default: '10'},
	'devnet-backend': {type: 'string', default: 'cpu'},
	'devnet-out': {type: 'string', default: 'bench/results/devnet.json'},
	'torch-bf16': {type: 'boolean', default: false},
	'iota-1b-batch': {type: 'string', default: '1'},
	'iota-1b-seq': {type: 'string', default: '800'},
	merge: {type: 'string'},
}});
/** PyTorch precisions per device: on a GPU both fp32 and bf16 autocast; on cpu fp32 (and bf16 with --torch-bf16). */
const torchPrecisions = (device: string) => (device === 'cuda' || args['torch-bf16'] ? 'fp32,bf16' : 'fp32');
const steps = args.quick ? 1 : Math.max(1, Number(args.steps));
// Workers (and bench-iota's children) read it when they start.
if (args.threads) process.env.IOTA_TUI_THREADS = args.threads;
const suites = new Set(args.suite!.split(',').map(s => s.trim()).map(s => (s === 'old' ? 'worker' : s)));
const log = (s: string) => process.stderr.write(s + '\n');

type Case = {case: string; config: ModelConfig; stage: number | 'all'; batch: number; seq: number; shape: string; heavy: boolean; step?: boolean};
// IOTA rows add fwd_bwd_ms / optimizer_ms, and a case that could not run has null timings and `skipped`.
type Row = {case: string; backend: string; shape: string; tokens_per_s: number; ms_per_step: number; peak_rss_mb: number; reference: string | null; ratio_vs_reference: number | null; event_loop_p99_ms?: number; note?: string;
	fwd_bwd_ms?: number | null; optimizer_ms?: number | null; skipped?: string; ratio_vs_bf16?: number; device?: string; date?: string;
	precision?: string; max_memory_mb?: number | null; tensor_mb?: number; gpu_mb?: number};

const devnet = configs.devnet!;
// One 1B-shaped block: a body stage holding a single bottleneck block and its decoder.
const block1b: ModelConfig = {...configs['iota-1b']!, name: 'iota-1b-block', nLayers: 3, splits: [[-1, 1], [1, 2], [2, -1]], seqLen: 4096,
	...(tinyBench() ? {vocabSize: 1024, dModel: 64, nHeads: 4, nKvHeads: 2, ffnDim: 128, bottleneckDim: 16} : {})};
const bb = Number(args['block-batch']), bs = Number(args['block-seq']);
const blockDims = `D${block1b.dModel} F${block1b.ffnDim} H${block1b.nHeads}/${block1b.nKvHeads}`;
const cases: Case[] = [
	...[0, 1, 2].map(s => ({case: `devnet/stage${s}`, config: devnet, stage: s, batch: devnet.batchSize, seq: devnet.seqLen, shape: `B${devnet.batchSize} T${devnet.seqLen} D${devnet.dModel}`, heavy: false})),
	{case: 'devnet/train-step', config: devnet, stage: 'all', batch: devnet.batchSize, seq: devnet.seqLen, shape: `B${devnet.batchSize} T${devnet.seqLen} D${devnet.dModel} +NAdam`, heavy: false, step: true},
	{case: 'iota-1b/block', config: block1b, stage: 1, batch: bb, seq: bs, shape: `B${bb} T${bs} ${blockDims}`, heavy: true},
	{case: 'iota-1b/block+nadam', config: block1b, stage: 1, batch: bb, seq: bs, shape: `B${bb} T${bs} ${blockDims} +NAdam`, heavy: true, step: true},
];

const peakRss = () => process.resourceUsage().maxRSS / 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function inputs(c: Case, seed: number) {
	const n = c.batch * c.seq;
	let s = seed;
	const ids = Int32Array.from({length: n}, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % c.config.vocabSize);
	const act = Float32Array.from({length: n * c.config.bottleneckDim}, (_, i) => Math.sin(i * 0.37 + seed));
	return {ids, act};
}

/** One timed fwd+bwd (or full train step) in the worker; returns milliseconds. */
async function once(client: TrainerClient, c: Case, i: number): Promise<number> {
	const {ids, act} = inputs(c, i + 1);
	const shape = [c.batch, c.seq];
	const t0 = performance.now();
	if (c.stage === 'all') {
		await client.trainBatch(int32(ids, shape));
		await client.step(1e-3);
	} else {
		const first = c.stage === 0, last = c.stage === c.config.splits.length - 1;
		await client.forward('b', first ? int32(ids, shape) : float32(act, [...shape, c.config.bottleneckDim]), last ? int32(ids, shape) : undefined);
		await client.backward('b', last ? undefined : float32(act, [...shape, c.config.bottleneckDim]));
		if (c.step) await client.step(1e-3);
	}
	return performance.now() - t0;
}

async function benchBackend(name: BackendName): Promise<Row[]> {
	const label = name;
	const rows: Row[] = [];
	const loop = monitorEventLoopDelay({resolution: 5});
	for (const c of cases) {
		// Plain cpu is ~20x slower than wasm: only the per-stage cases unless --full.
		if ((c.heavy || c.stage === 'all') && name === 'cpu' && !args.full) { log(`  ${c.case}: skipped on plain cpu (--full runs it)`); continue; }
		const stages = c.stage === 'all' ? c.config.splits.map((_, i) => i) : [c.stage];
		let client: TrainerClient;
		try {
			client = await TrainerClient.start({config: {...c.config, batchSize: c.batch}, stages, backend: name, engine: 'llama3'});
		} catch (e) {
			log(`  ${name}: cannot load (${(e as Error).message})`);
			return rows;
		}
		try {
			await once(client, c, 0); // warm-up: shader compile, wasm tiering, allocation
			loop.enable();
			const times: number[] = [];
			for (let i = 1; i <= (name === 'cpu' && !args.full ? 1 : steps); i++) times.push(await once(client, c, i));
			loop.disable();
			const ms = median(times);
			rows.push({case: c.case, backend: label, shape: c.shape, tokens_per_s: (c.batch * c.seq) / (ms / 1000), ms_per_step: ms, peak_rss_mb: peakRss(), reference: null, ratio_vs_reference: null,
				...(name === 'wasm' ? {note: client.info!.backend.detail} : {})});
			log(`  ${label} ${c.case}: ${ms.toFixed(1)} ms/step`);
		} catch (e) {
			// e.g. wasm's 4 GiB memory cannot hold the 1B block with its NAdam state: report and go on.
			loop.disable();
			log(`  ${label} ${c.case}: failed (${(e as Error).message.split('\n')[0]})`);
		} finally { await client.close().catch(() => {}); }
	}
	const p99 = loop.percentile(99) / 1e6;
	for (const r of rows) r.event_loop_p99_ms = Math.round(p99 * 100) / 100;
	return rows;
}

function findPython(): string | undefined {
	const candidates = args.python ? [args.python] : ['python3', '/usr/bin/python3'];
	return candidates.find(p => spawnSync(p, ['-c', 'import torch'], {stdio: 'ignore'}).status === 0);
}

/** PyTorch's IOTA stages on the worker suite's shapes: forward+backward, plus NAdam where the case steps; not the whole-model step. */
function torchRows(device: string): Row[] {
	const py = findPython();
	if (!py) { log(`  pytorch-${device}: no python3 with torch (Debian: apt-get install python3-torch; or --python PATH)`); return []; }
	const list = cases.filter(c => c.stage !== 'all').map(c => {
		const {cfg, splits} = llamaModelFor(c.config);
		const layer = c.stage as number;
		return {case: c.case, shape: c.shape, cfg, split: splits[layer], batch: c.batch, seq: c.seq, noOptimizer: !c.step,
			optimizer: {...IOTA_INNER, beta1: stageBeta1(splits.length, layer)}};
	});
	const r = spawnSync(py, [new URL('./bench_iota_torch.py', import.meta.url).pathname, '--device', device, '--steps', String(steps),
		'--precisions', torchPrecisions(device), '--cases', JSON.stringify(list)], {encoding: 'utf8', maxBuffer: 1 << 24});
	if (r.status !== 0) { log(`  pytorch-${device} failed: ${(r.stderr || '').trim().split('\n').at(-1)}`); return []; }
	const rows = r.stdout.trim().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Row & {blas?: string});
	for (const x of rows) if (x.blas === 'reference') x.note = 'reference BLAS: apt-get install libopenblas0-pthread for a fair number';
	return rows;
}

if (args.merge) {
	const merged = args.merge.split(',').filter(f => existsSync(f)).flatMap(f => JSON.parse(readFileSync(f, 'utf8')) as Row[]);
	writeFileSync(args.out!, JSON.stringify(merged, null, 2) + '\n');
	gpuTable(merged.filter(r => !r.backend.startsWith('pytorch-')), merged.filter(r => r.backend.startsWith('pytorch-')));
	console.log(`\nwrote ${args.out} (${merged.length} rows from ${args.merge})`);
	process.exit(0);
}

if (suites.has('devnet')) {
	const {runDevnetBench} = await import('./bench-devnet.js');
	await runDevnetBench({miners: Number(args['devnet-miners']), windowS: Number(args['devnet-window']), warmupS: Number(args['devnet-warmup']),
		backend: args['devnet-backend']!, out: args['devnet-out']!, log});
	suites.delete('devnet');
	if (!suites.size) process.exit(0);
}

const wanted: BackendName[] = args.backends ? args.backends.split(',').map(s => s.trim()) as BackendName[] : [...backendNames];
for (const b of wanted) if (!backendNames.includes(b)) { console.error(`error: unknown backend "${b}" (choose from ${backendNames.join(', ')})`); process.exit(2); }

const rows: Row[] = [];
const workerWanted = suites.has('worker') ? (args.quick && !args.backends ? wanted.filter(b => b === 'wasm') : wanted) : [];
for (const name of workerWanted) { log(`backend ${name}`); rows.push(...await benchBackend(name)); }
const torchDevices = args['torch-device'] === 'none' ? [] : args['torch-device']!.split(',');
const refs: Row[] = [];
if (suites.has('worker')) for (const d of torchDevices) { log(`pytorch ${d}`); refs.push(...torchRows(d)); }
if (suites.has('iota')) {
	const iota = runIota({backends: wanted, torchDevices, steps, full: args.full!, python: findPython(), cases: args['iota-cases'],
		batch100m: Number(args['iota-batch']), seq100m: Number(args['iota-seq']), batch1b: Number(args['iota-1b-batch']), seq1b: Number(args['iota-1b-seq']),
		precisions: torchPrecisions, log});
	rows.push(...iota.rows);
	refs.push(...iota.refs);
}

// GPU rows compare with PyTorch CUDA where it ran, CPU rows with PyTorch CPU.
for (const r of rows) {
	if (r.case.startsWith('iota-')) { ratioIota(r, refs); continue; }
	const gpu = r.backend.startsWith('webgpu') || r.backend === 'cuda';
	const find = (b: string) => refs.find(x => x.backend === b && x.case === r.case && !x.skipped);
	const ref = (gpu ? find('pytorch-cuda-fp32') : undefined) ?? find('pytorch-cpu');
	if (ref) { r.reference = ref.backend; r.ratio_vs_reference = Math.round((r.tokens_per_s / ref.tokens_per_s) * 1000) / 1000; }
	const bf16 = ref && find(torchBackend(ref.backend === 'pytorch-cpu' ? 'cpu' : 'cuda', 'bf16'));
	if (bf16) r.ratio_vs_bf16 = Math.round((r.tokens_per_s / bf16.tokens_per_s) * 1000) / 1000;
}
const all: Row[] = [...rows, ...refs];
// A GPU run's rows name the GPU and the date (gpu.json); so do a CPU run's with --torch-bf16 (the same path, checkable without a GPU).
if (torchDevices.includes('cuda') || args['torch-bf16']) {
	const cuda = torchDevices.includes('cuda');
	const smi = cuda ? spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {encoding: 'utf8'}) : undefined;
	const device = (smi?.status === 0 && smi.stdout.trim().split('\n')[0]) || refs.find(x => x.backend.startsWith(cuda ? 'pytorch-cuda' : 'pytorch-cpu') && x.device)?.device
		|| (cuda ? 'unknown GPU' : cpus()[0]?.model ?? 'unknown CPU');
	const date = new Date().toISOString();
	for (const r of all) Object.assign(r, {device, date});
}
mkdirSync(new URL('../bench/results/', import.meta.url), {recursive: true});
writeFileSync(args.out!, JSON.stringify(all, null, 2) + '\n');

if (args.json) console.log(JSON.stringify(all));
else {
	const head = ['case', 'backend', 'shape', 'tok/s', 'ms/step', 'fb/opt ms', 'rss MB', 'vs ref', 'loop p99 ms', 'note'];
	const f = (x: number | null | undefined, d: number) => (x === null || x === undefined ? '' : x.toFixed(d));
	const body = all.map(r => [r.case, r.backend, r.shape, f(r.tokens_per_s, 0), f(r.ms_per_step, 1),
		r.fwd_bwd_ms === undefined || r.fwd_bwd_ms === null ? '' : `${f(r.fwd_bwd_ms, 1)}/${f(r.optimizer_ms, 1) || '-'}`, f(r.peak_rss_mb, 0),
		r.ratio_vs_reference === null ? '' : `${r.ratio_vs_reference.toFixed(3)} (${r.reference})`, r.event_loop_p99_ms?.toFixed(2) ?? '', r.skipped ? `skipped: ${r.skipped}` : r.note ?? '']);
	const w = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i]!.length)));
	for (const line of [head, w.map(n => '-'.repeat(n)), ...body]) console.log(line.map((c, i) => c.padEnd(w[i]!)).join('  '));
	if (refs.some(x => x.backend.endsWith('-bf16'))) gpuTable(rows, refs);
	console.log(`\nwrote ${args.out}; tokens/s = batch*seq / median step time (worker stage = forward call + backward call with recomputation,
+NAdam with the optimizer step; train-step = the whole model's trainBatch + step; PyTorch = one eager forward+backward (+ NAdam step);
iota-* = LlamaStage forward+backward + InnerOptimizer NAdam step vs the same in PyTorch, fb/opt = the two parts).`);
}

/** The GPU run's summary: per case, iota-tui's ms/step beside PyTorch fp32 and bf16 autocast on the same device, the time
 * ratios (iota-tui / PyTorch: how many times slower) and the memory each held (TF.js: its GPU buffer pool, else live tensors). */
function gpuTable(ours: Row[], refs: Row[]) {
	const dev = refs.some(x => x.backend.startsWith('pytorch-cuda')) ? 'cuda' : 'cpu';
	const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
	const head = ['case', 'iota-tui', 'ms/step', `torch fp32`, `torch bf16`, 'x fp32', 'x bf16', 'MiB ours', 'MiB fp32', 'MiB bf16'];
	const body: string[][] = [];
	for (const r of ours) {
		const fp = refs.find(x => x.case === r.case && x.backend === torchBackend(dev, 'fp32'));
		const bf = refs.find(x => x.case === r.case && x.backend === torchBackend(dev, 'bf16'));
		const ms = r.skipped ? null : r.ms_per_step;
		body.push([r.case, r.backend, r.skipped ? `skipped: ${r.skipped.slice(0, 40)}` : f(ms), f(fp?.ms_per_step), f(bf?.ms_per_step),
			ms && fp?.ms_per_step ? f(ms / fp.ms_per_step, 2) : '-', ms && bf?.ms_per_step ? f(ms / bf.ms_per_step, 2) : '-',
			f(r.gpu_mb ?? r.tensor_mb, 0), f(fp?.max_memory_mb, 0), f(bf?.max_memory_mb, 0)]);
	}
	const w = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i]!.length)));
	console.log(`\niota-tui vs PyTorch ${dev} fp32 and bf16 autocast (same shapes, same run; x = iota-tui ms / PyTorch ms)`);
	for (const line of [head, w.map(n => '-'.repeat(n)), ...body]) console.log(line.map((c, i) => c.padEnd(w[i]!)).join('  '));
}
