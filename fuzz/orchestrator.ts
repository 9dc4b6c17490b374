// The orchestrator fuzz target: hostile requests by category against a real devnet orchestrator
// in its own process on 127.0.0.1. Per category: tried, crashed (the process exited or stopped
// answering healthcheck after a case; it is then restarted), accepted (2xx), 5xx, hung (no answer
// within the deadline). --reduced runs an even sample of each category.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {FuzzOptions, FuzzRow, FuzzTarget} from './types.js';
import {send, type Outcome, type RawRequest} from './http.js';
import {keyPairs, setUp, startHost, type Fixture} from './orchestrator-fixture.js';
import type {Case} from './orchestrator-routes.js';
import {forgedCases, oversizedCases, replayedCases, staleCases, tamperedCases, unsignedCases} from './orchestrator-auth.js';
import {nestedCases, numberCases, protoCases, queryCases, stringCases, typeCases} from './orchestrator-input.js';
import {idCases, phaseCases} from './orchestrator-work.js';

const REDUCED_PER_CATEGORY = 10;

function categories(reduced: boolean): [string, Case[]][] {
	return [
		['unsigned', unsignedCases()],
		['forged', forgedCases()],
		['replayed', replayedCases()],
		['stale', staleCases()],
		['tampered', tamperedCases()],
		['oversized', oversizedCases(reduced)],
		['nested', nestedCases()],
		['types', typeCases()],
		['numbers', numberCases()],
		['strings', stringCases()],
		['proto', protoCases()],
		['query', queryCases()],
		['phase', phaseCases()],
		['ids', idCases()],
	];
}

/** An even sample of `cases`, always keeping the first (the headline case of a category). */
export const sample = <T>(cases: T[], n: number): T[] => (cases.length <= n ? cases : cases.filter((_, i) => i % Math.ceil(cases.length / n) === 0));

class Runner {
	private fx!: Fixture;
	private dirs: string[] = [];
	private constructor(
		private readonly pairs: Awaited<ReturnType<typeof keyPairs>>,
		private readonly log: (line: string) => void,
	) {}

	static async start(log: (line: string) => void): Promise<Runner> {
		const r = new Runner(await keyPairs(), log);
		await r.boot();
		return r;
	}

	/** A fresh host and fixture (after a crash the old state is not trusted). */
	async boot(): Promise<void> {
		await this.fx?.host.stop();
		const dir = mkdtempSync(join(tmpdir(), 'iota-fuzz-orch-'));
		this.dirs.push(dir);
		const hotkeys = [...this.pairs.all, this.pairs.idle].map(p => p.address);
		const host = await startHost(dir, hotkeys, this.log);
		this.fx = await setUp(host, this.pairs);
	}

	async alive(): Promise<boolean> {
		if (this.fx.host.exited()) return false;
		const o = await send(this.fx.host.url, {method: 'GET', path: '/orchestrator/healthcheck', deadlineMs: 10_000});
		return o.kind === 'answer' && o.status === 200;
	}

	/** Sends one case; the outcome of its last (hostile) request. */
	async run(c: Case): Promise<Outcome> {
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

async function runCategory(runner: Runner, name: string, cases: Case[], log: (line: string) => void): Promise<FuzzRow> {
	const row: FuzzRow = {target: `orchestrator/${name}`, tried: 0, crashed: 0, accepted: 0, fivexx: 0, hung: 0};
	for (const c of cases) {
		const o = await runner.run(c);
		row.tried++;
		const bad = o.kind === 'hung' ? 'hung' : o.kind === 'answer' && o.status < 300 ? 'accepted' : o.kind === 'answer' && o.status >= 500 ? '5xx' : null;
		if (bad === 'hung') row.hung++;
		if (bad === 'accepted') row.accepted++;
		if (bad === '5xx') row.fivexx++;
		if (bad) log(`fuzz: ${row.target}: ${c.name}: ${bad}${o.kind === 'answer' ? ` ${o.status} ${o.detail}` : ''}`);
		if (!(await runner.alive())) {
			row.crashed++;
			log(`fuzz: ${row.target}: ${c.name}: the orchestrator died or stopped answering; restarting it`);
			await runner.boot();
		}
	}
	return row;
}

export const target: FuzzTarget = {
	name: 'orchestrator',
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
