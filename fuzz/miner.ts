// The miner half of `npm run fuzz`: the real miner runtime against a fake orchestrator and store on
// loopback serving hostile replies (fuzz/miner-cases.ts). Per row: crashed (an error escaped the
// runtime), accepted (it fetched a foreign or non-http URL, followed a redirect, used the absurd
// plan, put a hostile uid in a key, or trained on hostile data), hung (no stop within 10 s, a
// tight loop, or no progress where it should have recovered).
import {CASES, HOSTILE_UIDS, MARK, type Case} from './miner-cases.js';
import {startFakes, type Fakes} from './miner-fakes.js';
import {looksLikeCrash, runMiner, startShared, until, type Shared} from './miner-harness.js';
import type {FuzzRow, FuzzTarget} from './types.js';

type Outcome = {crashed: boolean; accepted: string | null; hung: string | null};

const SPIN_PER_S = 8; // the miner polls at 250 ms here: more than 8 asks a second is a loop without pause
let escaped = 0; // errors that reached the process (unhandled rejection, uncaught exception)

function acceptedBy(f: Fakes, events: {type: string; activationUid?: string}[], c: Case): string | null {
	if (f.foreignHits > 0) return `${f.foreignHits} request(s) reached the foreign host`;
	const keys = [...f.puts, ...f.published.map(p => `${p.activation_uid ?? ''} ${p.activation_path ?? ''}`)];
	const hostile = keys.find(k => HOSTILE_UIDS.some(u => k.includes(u)) || k.includes('../'));
	if (hostile) return `hostile uid in a key: ${hostile.slice(0, 60)}`;
	if (f.puts.some(k => k.startsWith('part/'))) return 'uploaded parts of an absurd multipart plan';
	if (c.row === 'store' || c.name.startsWith('forward')) {
		if (events.some(e => e.type === 'batch' && e.activationUid === MARK)) return 'trained on hostile data';
	}
	return null;
}

async function runCase(shared: Shared, c: Case): Promise<Outcome> {
	const f = await startFakes({layer: c.layer ?? 1});
	const escapedBefore = escaped;
	try {
		c.setup(f);
		const run = await runMiner(shared, f);
		const met = typeof c.trigger === 'string' ? () => f.hitCount(c.trigger as string) > 0 : () => (c.trigger as (f: Fakes) => boolean)(f);
		const stopped = () => run.events.some(e => e.type === 'stopped');
		await until(() => met() || stopped(), 30_000);
		const spinBefore = c.spin ? f.hitCount(c.spin) : 0;
		const observe = c.observeMs ?? 2500;
		const progressed = c.progress ? await until(() => c.progress!(f), observe) : (await until(stopped, observe), true);
		const spins = c.spin ? f.hitCount(c.spin) - spinBefore : 0;
		const took = await run.stop(10_000);
		const fatal = run.handle.fatalError();
		const errors = run.events.flatMap(e => (e.type === 'error' ? [e.message] : []));
		const crashed = escaped > escapedBefore || (fatal !== null && looksLikeCrash(fatal)) || errors.some(looksLikeCrash);
		let hung: string | null = null;
		if (took === null) hung = 'did not stop within 10 s';
		else if (!met()) hung = 'never reached the hostile reply';
		else if (spins > (SPIN_PER_S * observe) / 1000) hung = `${spins} requests in ${observe} ms (no pause)`;
		else if (!progressed) hung = 'no progress after the failures ended';
		return {crashed, accepted: acceptedBy(f, run.events as {type: string; activationUid?: string}[], c), hung: hung && !met() && fatal ? null : hung};
	} finally {
		await f.close();
	}
}

async function runAll(opts: {reduced: boolean; log: (line: string) => void}): Promise<FuzzRow[]> {
	const cases = CASES.filter(c => !opts.reduced || c.reduced);
	const rows = new Map<string, FuzzRow>();
	for (const c of cases) rows.set(c.row, {target: `miner/${c.row}-replies`, tried: 0, crashed: 0, accepted: 0, fivexx: 0, hung: 0});
	const onEscape = (error: unknown) => {
		escaped++;
		opts.log(`  escaped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`.slice(0, 600));
	};
	const shared = await startShared();
	process.on('unhandledRejection', onEscape);
	process.on('uncaughtException', onEscape);
	try {
		const queue = [...cases];
		const worker = async () => {
			for (let c = queue.shift(); c; c = queue.shift()) {
				const t0 = Date.now();
				const o = await runCase(shared, c).catch((error: unknown): Outcome => ({crashed: true, accepted: null, hung: `harness: ${String(error)}`}));
				const row = rows.get(c.row)!;
				row.tried++;
				row.crashed += Number(o.crashed);
				row.accepted += Number(o.accepted !== null);
				row.hung += Number(o.hung !== null);
				const bad = [o.crashed && 'CRASHED', o.accepted && `ACCEPTED (${o.accepted})`, o.hung && `HUNG (${o.hung})`].filter(Boolean).join(' ');
				opts.log(`  ${c.row}: ${c.name}: ${bad || 'ok'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
			}
		};
		// A few at a time: each run is mostly waiting on sockets and timers.
		await Promise.all(Array.from({length: opts.reduced ? 3 : 4}, worker));
	} finally {
		await shared.close();
		process.off('unhandledRejection', onEscape);
		process.off('uncaughtException', onEscape);
	}
	return [...rows.values()];
}

export const target: FuzzTarget = {name: 'miner', run: runAll};
