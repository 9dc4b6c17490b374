// What every chaos case reports (keep the shape: outside checks read bench/results/chaos.json).
import type {ChaosSwarm} from './swarm.js';

export type ChaosRow = {case: string; result: 'pass' | 'fail'; counts: Record<string, number>; detail?: string};

export type ChaosContext = {
	swarm: ChaosSwarm;
	reduced: boolean;
	log: (line: string) => void;
	/** Stops the whole swarm and starts it again on the same data dir and ports; cases use the new one. */
	restartSwarm(): Promise<ChaosSwarm>;
};

export type ChaosCase = {name: string; run(ctx: ChaosContext): Promise<ChaosRow>};

/** A row from named checks: pass when every check holds; detail names the ones that did not. */
export function verdict(name: string, counts: Record<string, number>, checks: Record<string, boolean>): ChaosRow {
	const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([what]) => what);
	return {case: name, result: failed.length === 0 ? 'pass' : 'fail', counts, ...(failed.length ? {detail: `failed: ${failed.join('; ')}`} : {})};
}

export const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
