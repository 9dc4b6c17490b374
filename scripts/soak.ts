// `npm run soak`: the devnet swarm (`iota-tui devnet --miners 6 --headless --json`, current protocol, small
// settings) for 2 hours, sampled every minute (RSS and fds of every process under the devnet, upload queue
// files, log/store/database sizes, batches and merges); a table row per sample and bench/results/soak.json
// with the samples and a "flat after warm-up" verdict. Not part of `npm test`.
// Usage: npm run soak -- [--minutes 120] [--every 60] [--warmup MINUTES after every miner's first batch] [--miners 6] [--backend cpu] [--out PATH] [--keep]
import {createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {parseArgs} from 'node:util';
import {spawnDevnet, type DevnetChild} from './bench-devnet/devnet.js';
import {takeSample, type Counters, type Sample} from './soak/sample.js';
import {growthPerHour, verdict, type Verdict} from './soak/verdict.js';

const {values: args} = parseArgs({options: {
	minutes: {type: 'string', default: '120'},
	every: {type: 'string', default: '60'},
	warmup: {type: 'string'},
	miners: {type: 'string', default: '6'},
	backend: {type: 'string', default: 'cpu'},
	out: {type: 'string', default: 'bench/results/soak.json'},
	keep: {type: 'boolean', default: false},
}});
const minutes = Number(args.minutes), everyS = Number(args.every);
// Warm-up, counted from the moment every miner has trained a batch: a tenth of the run, 0.5 to 10 minutes.
const warmupMin = args.warmup !== undefined ? Number(args.warmup) : Math.min(10, Math.max(0.5, minutes / 10));
const log = (s: string) => process.stderr.write(s + '\n');

const dir = mkdtempSync(join(tmpdir(), 'iota-soak-'));
const logPath = join(dir, 'devnet.ndjson');
const logFile = createWriteStream(logPath);
const counters: Counters = {batches: 0, merges: new Set(), errors: 0};
const trained = new Set<string>(); // hotkeys with a batch
let allTrainedMin: number | null = null;
const samples: Sample[] = [];
const startedAt = Date.now();

function count(e: Record<string, unknown>): void {
	if (e.event === 'batch') counters.batches++;
	if (e.event === 'batch' && trained.add(String(e.hotkey)).size === Number(args.miners) && allTrainedMin === null) allTrainedMin = (Date.now() - startedAt) / 60_000;
	if (e.event === 'merge_done') counters.merges.add(`${String(e.layer)}/${String(e.epoch)}`);
	if (e.event === 'error') counters.errors++;
}

function printRow(s: Sample, first: boolean): void {
	const rss = (role: string) => s.procs.filter(p => p.role === role).map(p => p.rss_mb ?? 0);
	const miners = rss('miner');
	const cols: [string, string][] = [
		['t min', s.t_min.toFixed(1)], ['procs', String(s.procs.length)], ['devnet MB', (rss('devnet')[0] ?? 0).toFixed(0)],
		['miners MB max/sum', `${Math.max(0, ...miners).toFixed(0)}/${miners.reduce((a, b) => a + b, 0).toFixed(0)}`],
		['p2p MB sum', rss('p2p-endpoint').reduce((a, b) => a + b, 0).toFixed(0)], ['fds', String(s.procs.reduce((a, p) => a + (p.fds ?? 0), 0))],
		['queue jobs/files', `${s.queue_jobs}/${s.queue_files}`], ['log MB', (s.log_bytes / 2 ** 20).toFixed(2)], ['store MB', (s.store_bytes / 2 ** 20).toFixed(1)],
		['db MB', (s.db_bytes / 2 ** 20).toFixed(1)], ['batches', String(s.batches)], ['merges', String(s.merges)], ['errors', String(s.errors)],
	];
	if (first) console.log(cols.map(([h, v]) => h.padEnd(Math.max(h.length, v.length))).join('  '));
	console.log(cols.map(([h, v]) => v.padEnd(Math.max(h.length, v.length))).join('  '));
}

function write(v: Verdict | null): void {
	mkdirSync(dirname(args.out!), {recursive: true});
	const meta = {minutes, every_s: everyS, warmup_min: warmupMin, all_miners_trained_t_min: allTrainedMin, miners: Number(args.miners), backend: args.backend, started: new Date(startedAt).toISOString(), data_dir: args.keep ? dir : null};
	writeFileSync(args.out!, JSON.stringify({...meta, verdict: v, samples}, null, 2) + '\n');
}

/** SIGTERM to the devnet's own process group (it stops its miners), SIGKILL to that group if it hangs. */
function stopGroup(d: DevnetChild): Promise<void> {
	const pid = d.child.pid!;
	if (d.child.exitCode !== null) return Promise.resolve();
	return new Promise(resolve => {
		const kill = setTimeout(() => {
			try {
				process.kill(-pid, 'SIGKILL');
			} catch {
				// already gone
			}
		}, 90_000);
		d.child.once('exit', () => (clearTimeout(kill), resolve()));
		process.kill(-pid, 'SIGTERM');
	});
}

log(`soak: devnet with ${args.miners} miners for ${minutes} min, a sample every ${everyS} s, warm-up ${warmupMin} min; data in ${dir}`);
const devnet = await spawnDevnet({dir, miners: Number(args.miners), backend: args.backend, onLine: line => logFile.write(line + '\n'), keep: () => false});
devnet.log.onEvent(count);
let stopping = false;
const stop = async (why: string) => {
	if (stopping) return;
	stopping = true;
	log(`soak: ${why}; stopping the devnet's process group`);
	await stopGroup(devnet);
	logFile.end();
	const v = verdict(samples, allTrainedMin === null ? null : allTrainedMin + warmupMin);
	write(v);
	console.log(`\nverdict: ${v.summary}`);
	console.log(growthPerHour(samples));
	console.log(`wrote ${args.out} (${samples.length} samples, ${((Date.now() - startedAt) / 60_000).toFixed(1)} min)`);
	if (!args.keep) rmSync(dir, {recursive: true, force: true});
	process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
devnet.child.once('exit', code => void stop(`the devnet exited (${code}) on its own`));

for (let i = 1; i * everyS <= minutes * 60; i++) {
	await new Promise(resolve => setTimeout(resolve, startedAt + i * everyS * 1000 - Date.now()));
	if (stopping) break;
	const s = takeSample({root: devnet.child.pid!, dataDir: join(dir, 'data'), logPath, startedAt, counters});
	samples.push(s);
	printRow(s, i === 1);
	write(null);
}
await stop('done');
