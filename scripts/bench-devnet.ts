// `npm run bench -- --suite devnet`: the real devnet (chain, store, current-protocol orchestrator) and real
// `iota-tui mine` processes, run twice (headless, then with the Ink dashboard on a pseudo-terminal), each on a
// fresh devnet. Rows {metric, value, unit, mode, detail} go to bench/results/devnet.json and a printed table.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {registerWallets, spawnDevnet} from './bench-devnet/devnet.js';
import {batchesOf, minerTree, spawnMiner, status, stopMiner, untilStatus, type MinerChild, type Mode} from './bench-devnet/miner.js';
import {p2pRate, storeRate, transferOverlap, type Rate} from './bench-devnet/metrics.js';
import type {Ev} from './bench-devnet/ndjson.js';
import {stopChild} from './bench-devnet/ndjson.js';
import {statusMb} from './bench-devnet/proc.js';

export type DevnetBenchOptions = {miners: number; windowS: number; warmupS: number; backend: string; out: string; log: (s: string) => void};
export type DevnetRow = {metric: string; value: number | null; unit: string; mode?: Mode; detail?: unknown};

type PhaseResult = {
	mode: Mode;
	launchS: (number | null)[]; // per miner: spawn to first batch
	batchesPerS: number;
	loopP99: (number | null)[];
	peakRss: {main: number | null; tree: number}[];
	events: Ev[];
	spanS: number; // first batch to the end of the window (the span the byte rates are over)
	ttyBytesPerS: number | null;
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const round = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

/** Spawn to first trained batch: the batch event's own time headless, the status file's first count (about 1 s later at most) with the dashboard. */
async function firstBatchS(m: MinerChild): Promise<number | null> {
	try {
		if (m.mode === 'headless') return ((await m.log.until(e => e.event === 'batch', 300_000, 'first batch')).at - m.spawnedAt) / 1000;
		await untilStatus(m, s => batchesOf(s) > 0, 300_000, 'first batch');
		return (Date.now() - m.spawnedAt) / 1000;
	} catch {
		return null;
	}
}

/** Summed per-miner rates between two status readings (each over its own writtenAt span). */
function rateBetween(before: ReturnType<typeof status>[], after: ReturnType<typeof status>[]): number {
	let total = 0;
	for (const [i, a] of after.entries()) {
		const b = before[i];
		if (!a || !b || a.writtenAt <= b.writtenAt) continue;
		total += (batchesOf(a) - batchesOf(b)) / ((a.writtenAt - b.writtenAt) / 1000);
	}
	return total;
}

async function runPhase(mode: Mode, o: DevnetBenchOptions): Promise<PhaseResult> {
	const dir = mkdtempSync(join(tmpdir(), `iota-bench-devnet-${mode}-`));
	const t0 = Date.now();
	const devnet = await spawnDevnet({dir});
	const miners: MinerChild[] = [];
	try {
		o.log(`  ${mode}: devnet ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; registering ${o.miners} hotkeys`);
		const wallets = await registerWallets(devnet.chain, devnet.netuid, dir, o.miners);
		const firsts: Promise<number | null>[] = [];
		for (const wallet of wallets) {
			const m = spawnMiner({devnet, wallet, dir, mode, backend: o.backend});
			miners.push(m);
			firsts.push(firstBatchS(m));
			// One registration at a time, as `devnet --miners` does, so the orchestrator spreads miners over the layers.
			await untilStatus(m, s => s.state.layer !== null, 180_000, 'registration');
		}
		const launchS = await Promise.all(firsts);
		o.log(`  ${mode}: first batches after ${launchS.map(s => s?.toFixed(1) ?? '-').join(' / ')} s; warm-up ${o.warmupS} s, window ${o.windowS} s`);
		const trainingFrom = Date.now();
		await sleep(o.warmupS * 1000);
		const before = miners.map(status);
		await sleep(o.windowS * 1000);
		const after = miners.map(status);
		const peakRss = miners.map(m => {
			const [main, ...rest] = minerTree(m);
			return {main: main === undefined ? null : statusMb(main, 'VmHWM'), tree: [main, ...rest].reduce((a, p) => a + (p === undefined ? 0 : statusMb(p, 'VmHWM') ?? 0), 0)};
		});
		const spanS = (Date.now() - trainingFrom) / 1000;
		const tty = mode === 'dashboard' ? miners.reduce((a, m) => a + m.ttyBytes(), 0) / ((Date.now() - t0) / 1000) : null;
		return {mode, launchS, batchesPerS: rateBetween(before, after), loopP99: after.map(s => s?.event_loop_p99_ms ?? null), peakRss,
			events: miners.flatMap(m => m.log.events.filter(e => e.at >= trainingFrom)), spanS, ttyBytesPerS: tty};
	} finally {
		await Promise.all(miners.map(stopMiner));
		await stopChild(devnet.child);
		rmSync(dir, {recursive: true, force: true});
	}
}

const max = (xs: (number | null)[]) => {
	const ok = xs.filter((x): x is number => x !== null);
	return ok.length ? Math.max(...ok) : null;
};
const rateRows = (name: string, r: Rate, detail: string): DevnetRow[] => [
	{metric: `${name}_bytes_per_s`, value: round(r.perBusyS, 0), unit: 'B/s', mode: 'headless', detail: `${detail}; ${r.bytes} B over ${r.busyS.toFixed(2)} s of transfers`},
	{metric: `${name}_bytes_per_s_wall`, value: round(r.perWallS, 0), unit: 'B/s', mode: 'headless', detail: `same bytes over ${r.wallS.toFixed(0)} s of training (all miners)`},
];

function rowsOf(h: PhaseResult, d: PhaseResult | null): DevnetRow[] {
	const overlap = transferOverlap(h.events);
	const rows: DevnetRow[] = [
		{metric: 'launch_to_first_batch', value: round(h.launchS[0] ?? null, 1), unit: 's', mode: 'headless', detail: {per_miner_s: h.launchS.map(s => round(s, 1)), note: 'first miner (layer 0): `iota-tui mine` spawned (tsx, unbuilt) to its first batch event; later miners wait for the pipeline'}},
	];
	if (d) rows.push({metric: 'launch_to_first_batch', value: round(d.launchS[0] ?? null, 1), unit: 's', mode: 'dashboard', detail: {per_miner_s: d.launchS.map(s => round(s, 1)), note: 'seen in the status file (written at most once a second)'}});
	rows.push({metric: 'throughput', value: round(h.batchesPerS), unit: 'batches/s', mode: 'headless', detail: 'all miners, forward+backward batches from the status files over the window'});
	if (d) {
		rows.push({metric: 'throughput', value: round(d.batchesPerS), unit: 'batches/s', mode: 'dashboard', detail: `same window; the dashboards wrote ${round(d.ttyBytesPerS, 0)} B/s to their terminals`});
		rows.push({metric: 'dashboard_vs_headless', value: round(d.batchesPerS / h.batchesPerS, 3), unit: 'ratio', detail: 'dashboard batches/s over headless batches/s (1.0 = the dashboard costs nothing)'});
	}
	rows.push({metric: 'event_loop_p99', value: max(h.loopP99), unit: 'ms', mode: 'headless', detail: {per_miner_ms: h.loopP99, note: 'worst miner; monitorEventLoopDelay in the miner main thread from its first batch (IOTA_TUI_LOOP_DELAY=1)'}});
	if (d) rows.push({metric: 'event_loop_p99', value: max(d.loopP99), unit: 'ms', mode: 'dashboard', detail: {per_miner_ms: d.loopP99}});
	rows.push({metric: 'transfer_overlap', value: overlap.ratio, unit: 'ratio', mode: 'headless',
		detail: `compute ms of batches with an upload or P2P transfer of the same miner in flight / the same batches at their clean mean (per miner and direction); ${overlap.overlapped} overlapped, ${overlap.clean} clean batches`});
	for (const r of d ? [h, d] : [h]) {
		rows.push({metric: 'peak_rss_per_miner', value: max(r.peakRss.map(p => p.main)), unit: 'MB', mode: r.mode,
			detail: {per_miner_mb: r.peakRss.map(p => p.main), with_p2p_child_mb: r.peakRss.map(p => round(p.tree, 1)), note: 'worst miner, VmHWM of its main process; with_p2p_child adds its forked P2P endpoint'}});
	}
	rows.push(...rateRows('p2p', p2pRate(h.events, h.spanS), 'pushes and pulls counted once, at the sender'));
	rows.push(...rateRows('store_upload', storeRate(h.events, h.spanS), 'weights, optimizer state, partitions, spot-check activations: uploading to done'));
	return rows;
}

export function printDevnetTable(rows: DevnetRow[]): void {
	const head = ['metric', 'mode', 'value', 'unit', 'detail'];
	const body = rows.map(r => [r.metric, r.mode ?? '', r.value === null ? 'n/a' : String(r.value), r.unit, typeof r.detail === 'string' ? r.detail : JSON.stringify(r.detail ?? '')]);
	const w = head.map((h, i) => Math.max(h.length, ...body.map(b => (i === 4 ? 0 : b[i]!.length))));
	for (const line of [head, w.map(n => '-'.repeat(n)), ...body]) console.log(line.map((c, i) => (i === 4 ? c : c.padEnd(w[i]!))).join('  '));
}

export async function runDevnetBench(o: DevnetBenchOptions): Promise<DevnetRow[]> {
	const t0 = Date.now();
	o.log(`devnet: ${o.miners} miners on ${o.backend}, headless then dashboard`);
	const headless = await runPhase('headless', o);
	let dashboard: PhaseResult | null = null;
	try {
		dashboard = await runPhase('dashboard', o);
	} catch (error) {
		o.log(`  dashboard: failed (${(error as Error).message}); its rows are left out`);
	}
	const rows = rowsOf(headless, dashboard);
	rows.push({metric: 'bench_wall_time', value: round((Date.now() - t0) / 1000, 0), unit: 's'});
	mkdirSync(dirname(o.out), {recursive: true});
	writeFileSync(o.out, JSON.stringify(rows, null, 2) + '\n');
	printDevnetTable(rows);
	console.log(`\nwrote ${o.out}`);
	return rows;
}
