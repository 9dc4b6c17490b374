// The current-protocol orchestrator fuzz target: hostile requests by category against a real devnet
// orchestrator (spec 30017) in its own process on 127.0.0.1, with three miners registered. Per
// category: tried, crashed (the process exited, stopped answering healthcheck, or logged an internal
// error; it is then restarted), accepted (a success reply: HTTP 2xx without an error_name), 5xx (or a
// refusal that gives no reason), hung (no answer within the deadline). --reduced runs a sample.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {FuzzOptions, FuzzRow, FuzzTarget} from './types.js';
import {send, type Outcome, type RawRequest} from './http.js';
import {startHost} from './orchestrator-fixture.js';
import {sample} from './orchestrator.js';
import {currentPairs, setUpCurrent, type CurrentFixture, type CurrentPairs} from './current-fixture.js';
import type {CurrentCase} from './current-routes.js';
import {authCases, hotkeyCases, oversizedCases, replayCases, specCases, staleCases} from './current-auth.js';
import {idCases, phaseCases, schemaCases} from './current-work.js';

const REDUCED_PER_CATEGORY = 8;

function categories(reduced: boolean): [string, CurrentCase[]][] {
	return [
		['spec', specCases()],
		['auth', authCases()],
		['hotkey', hotkeyCases()],
		['replay', replayCases()],
		['stale', staleCases()],
		['oversized', oversizedCases(reduced)],
		['phase', phaseCases()],
		['ids', idCases()],
		['schema', schemaCases()],
	];
}

type Verdict = 'hung' | 'accepted' | '5xx' | null;

/** What is wrong with the answer to a hostile request, if anything. */
export function verdict(o: Outcome): Verdict {
	if (o.kind === 'hung') return 'hung';
	if (o.kind === 'reset') return null; // dropped: refused without reading on (oversized bodies)
	if (o.status >= 500) return '5xx';
	const refused = o.status >= 400 || o.errorName !== undefined;
	if (!refused) return 'accepted';
	return o.detail.trim() === '' || o.detail.includes('[object Object]') || o.detail.endsWith(': ') ? '5xx' : null;
}

class Runner {
	private fx!: CurrentFixture;
	private dirs: string[] = [];
	private seenErrors = 0;
	private constructor(
		private readonly pairs: CurrentPairs,
		private readonly log: (line: string) => void,
	) {}

	static async start(log: (line: string) => void): Promise<Runner> {
		const r = new Runner(await currentPairs(), log);
		await r.boot();
		return r;
	}

	/** A fresh host and fixture (after a crash the old state is not trusted). */
	async boot(): Promise<void> {
		await this.fx?.host.stop();
		const dir = mkdtempSync(join(tmpdir(), 'iota-fuzz-current-'));
		this.dirs.push(dir);
		const hotkeys = [...this.pairs.all, this.pairs.idle].map(p => p.address);
		const host = await startHost(dir, hotkeys, this.log, {protocol: 'current'});
		this.seenErrors = 0;
		this.fx = await setUpCurrent(host, this.pairs);
	}

	/** Whether the orchestrator still answers and has logged no new internal error. */
	async healthy(): Promise<boolean> {
		if (this.fx.host.exited()) return false;
		const errors = this.fx.host.internalErrors();
		if (errors.length > this.seenErrors) {
			for (const line of errors.slice(this.seenErrors)) this.log(`fuzz: current: orchestrator logged: ${line}`);
			this.seenErrors = errors.length;
			return false;
		}
		const o = await send(this.fx.host.url, {method: 'GET', path: '/healthcheck', deadlineMs: 10_000});
		return o.kind === 'answer' && o.status === 200;
	}

	/** Sends one case; the outcome of its last (hostile) request. */
	async run(c: CurrentCase): Promise<Outcome> {
		const built = c.build(this.fx);
		const requests: RawRequest[] = Array.isArray(built) ? built : [built];
		let outcome: Outcome = {kind: 'hung'};
		for (const r of requests) outcome = await send(this.fx.host.url, r);
		return outcome;
	}

	async close(): Promise<void> {
		await this.fx.host.stop();
		for (const d of this.dirs) rmSync(d, {recursive: true, force: true});
	}
}

async function runCategory(runner: Runner, name: string, cases: CurrentCase[], log: (line: string) => void): Promise<FuzzRow> {
	const row: FuzzRow = {target: `current/${name}`, tried: 0, crashed: 0, accepted: 0, fivexx: 0, hung: 0};
	for (const c of cases) {
		const o = await runner.run(c);
		row.tried++;
		const bad = verdict(o);
		if (bad === 'hung') row.hung++;
		if (bad === 'accepted') row.accepted++;
		if (bad === '5xx') row.fivexx++;
		if (bad) log(`fuzz: ${row.target}: ${c.name}: ${bad}${o.kind === 'answer' ? ` ${o.status} ${o.detail}` : ''}`);
		if (!(await runner.healthy())) {
			row.crashed++;
			log(`fuzz: ${row.target}: ${c.name}: the orchestrator died, stopped answering or logged an internal error; restarting it`);
			await runner.boot();
		}
	}
	return row;
}

export const target: FuzzTarget = {
	name: 'current',
	async run(opts: FuzzOptions): Promise<FuzzRow[]> {
		const runner = await Runner.start(opts.log);
		const rows: FuzzRow[] = [];
		try {
			for (const [name, all] of categories(opts.reduced)) {
				const cases = opts.reduced ? sample(all, REDUCED_PER_CATEGORY) : all;
				rows.push(await runCategory(runner, name, cases, opts.log));
			}
		} finally {
			await runner.close();
		}
		return rows;
	},
};
