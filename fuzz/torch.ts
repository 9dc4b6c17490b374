// The torch.save fuzz target: hostile files against the wire decoder (decodeWire and loadTorch under
// the wire limits), run in a worker thread. Per category: tried, crashed (anything but a one-line
// TorchFormatError/UserError, or the worker died), accepted (a definitely invalid file decoded), hung.
import {Worker} from 'node:worker_threads';
import type {FuzzOptions, FuzzRow, FuzzTarget} from './types.js';
import {torchCategories} from './torch-categories.js';
import type {CaseResult} from './torch-worker.js';

/** One case may take this long (a 4 GiB declared entry must be refused, not inflated). */
const CASE_DEADLINE_MS = 30_000;
const WORKER_URL = new URL('./torch-worker.ts', import.meta.url);

type Stop = {next: number; why: 'done' | 'hung' | 'died'; error?: string};

/** Runs cases from `from` in one worker until they are done, one hangs, or the worker dies. */
function runWorker(category: string, reduced: boolean, from: number, onResult: (r: CaseResult) => void): Promise<Stop> {
	return new Promise(resolve => {
		let next = from;
		let settled = false;
		const w = new Worker(WORKER_URL, {workerData: {category, reduced, from}, resourceLimits: {maxOldGenerationSizeMb: 2048}});
		const finish = (s: Stop) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			void w.terminate();
			resolve(s);
		};
		let timer = setTimeout(() => finish({next, why: 'hung'}), CASE_DEADLINE_MS);
		w.on('message', (r: CaseResult) => {
			onResult(r);
			next = r.i + 1;
			clearTimeout(timer);
			timer = setTimeout(() => finish({next, why: 'hung'}), CASE_DEADLINE_MS);
		});
		w.on('error', error => finish({next, why: 'died', error: error.message}));
		w.on('exit', code => finish({next, why: code === 0 ? 'done' : 'died', error: `exit ${code}`}));
	});
}

async function runCategory(name: string, count: number, reduced: boolean, log: (line: string) => void): Promise<FuzzRow> {
	const row: FuzzRow = {target: `torch/${name}`, tried: 0, crashed: 0, accepted: 0, fivexx: 0, hung: 0};
	let from = 0;
	while (from < count) {
		const stop = await runWorker(name, reduced, from, r => {
			row.tried++;
			if (r.verdict === 'crashed') row.crashed++;
			if (r.verdict === 'accepted') row.accepted++;
			if (r.verdict === 'crashed' || r.verdict === 'accepted') log(`fuzz: ${row.target} #${r.i}: ${r.verdict}: ${r.message}`);
		});
		if (stop.why === 'done' && stop.next >= count) break;
		// The case at stop.next hung or killed the worker: count it and go on after it.
		row.tried++;
		if (stop.why === 'hung') row.hung++;
		else row.crashed++;
		log(`fuzz: ${row.target} #${stop.next}: ${stop.why}${stop.error ? `: ${stop.error}` : ''}`);
		from = stop.next + 1;
	}
	return row;
}

export const target: FuzzTarget = {
	name: 'torch',
	async run(opts: FuzzOptions): Promise<FuzzRow[]> {
		const rows: FuzzRow[] = [];
		for (const [name, cases] of torchCategories(opts.reduced)) rows.push(await runCategory(name, cases.length, opts.reduced, opts.log));
		return rows;
	},
};
