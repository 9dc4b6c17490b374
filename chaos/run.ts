// The chaos plan: which cases run on which swarm (the current protocol's with 6 miners; v1's, whose
// persistent upload queue the store, kill and disk cases test, with 3), and running them in order.
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {chainDrop} from './cases/chain-drop.js';
import {clockSkew} from './cases/clock-skew.js';
import {diskFull} from './cases/disk-full.js';
import {minerKill} from './cases/miner-kill.js';
import {orchestratorRestart} from './cases/orchestrator-restart.js';
import {peerKill} from './cases/peer-kill.js';
import {slowStage} from './cases/slow-stage.js';
import {storeOutage} from './cases/store-outage.js';
import {swarmRestart} from './cases/swarm-restart.js';
import {QUICK_SETTINGS} from '../source/devnet/current/settings.js';
import {ChaosSwarm} from './swarm.js';
import type {ChaosCase, ChaosContext, ChaosRow} from './types.js';

export type Plan = {protocol: 'current' | 'v1'; miners: number; model?: string; settings: Record<string, unknown>; cases: ChaosCase[]};

/** Small batches and short timeouts so faults show within minutes. */
const CURRENT = {...QUICK_SETTINGS, activation_timeout_s: 60};
const V1 = {layers: 3, batches_before_merging: 4, rate_limit_per_s: 50, rate_limit_random_per_s: 100, metagraph_ttl_s: 2, learning_rate: 3e-3, cache_limit: 2, activation_timeout_s: 30, phase_timeout_s: 300};

export function plans(reduced: boolean): Plan[] {
	const current = reduced ? [chainDrop, clockSkew, orchestratorRestart, swarmRestart('swarm-restart')] : [chainDrop, peerKill, clockSkew, slowStage, orchestratorRestart, swarmRestart('swarm-restart')];
	const v1 = reduced ? [storeOutage, minerKill, swarmRestart('swarm-restart-v1')] : [storeOutage, minerKill, diskFull, swarmRestart('swarm-restart-v1')];
	return [
		{protocol: 'current', miners: 6, settings: CURRENT, cases: current},
		{protocol: 'v1', miners: 3, model: 'tiny', settings: V1, cases: v1},
	];
}

/** Runs a plan's cases in order on one swarm; a case that throws is a failed row, and the rest still run. */
export async function runPlan(plan: Plan, o: {reduced: boolean; dir: string; only: string[]; log: (line: string) => void}): Promise<ChaosRow[]> {
	const cases = plan.cases.filter(c => o.only.length === 0 || o.only.some(name => c.name.includes(name)));
	if (cases.length === 0) return [];
	const dataDir = join(o.dir, plan.protocol);
	mkdirSync(dataDir, {recursive: true});
	const quiet = (line: string) => (process.env.IOTA_CHAOS_VERBOSE === '1' ? o.log(`  ${line}`) : undefined);
	o.log(`chaos: starting the ${plan.protocol} swarm (${plan.miners} miners) in ${dataDir}`);
	const ctx: ChaosContext = {
		swarm: await ChaosSwarm.start({protocol: plan.protocol, miners: plan.miners, model: plan.model, dataDir, settings: plan.settings, log: quiet}),
		reduced: o.reduced,
		log: o.log,
		async restartSwarm() {
			await ctx.swarm.stop();
			ctx.swarm = await ChaosSwarm.start({...ctx.swarm.spec});
			return ctx.swarm;
		},
	};
	const rows: ChaosRow[] = [];
	try {
		for (const c of cases) {
			const t0 = Date.now();
			o.log(`chaos: ${c.name}`);
			const row = await c.run(ctx).catch((error: unknown): ChaosRow => ({case: c.name, result: 'fail', counts: {}, detail: `threw: ${(error as Error).message}`}));
			o.log(`chaos: ${c.name}: ${row.result} in ${Math.round((Date.now() - t0) / 1000)} s ${JSON.stringify(row.counts)}${row.detail ? ` (${row.detail})` : ''}`);
			rows.push(row);
		}
	} finally {
		await ctx.swarm.stop();
	}
	return rows;
}
