// Observations the chaos cases share, read from the swarm's event stream.
import type {ChaosEvent, ChaosSwarm} from './swarm.js';

export const is = (name: string) => (e: ChaosEvent) => e.event === name;

/** Each miner's layer, from its latest `registered` event. */
export function layers(swarm: ChaosSwarm): Map<string, number> {
	const out = new Map<string, number>();
	for (const e of swarm.events) if (e.event === 'registered') out.set(e.hotkey as string, e.layer as number);
	return out;
}

/** Batches per layer since event index `from`. */
export function batchesPerLayer(swarm: ChaosSwarm, from: number): number[] {
	const n = [0, 0, 0];
	for (const e of swarm.since(from, is('batch'))) n[e.layer as number]! += 1;
	return n;
}

/** Waits until every layer trained at least `k` batches since `from`. */
export const everyLayerTrains = (swarm: ChaosSwarm, from: number, k: number, ms: number) => swarm.until(() => batchesPerLayer(swarm, from).every(n => n >= k), ms);

/** Waits until every layer merged at least `k` times since `from`. */
export const everyLayerMerges = (swarm: ChaosSwarm, from: number, k: number, ms: number) => swarm.until(() => swarm.merges(from).every(n => n >= k), ms);

/** Miner processes that ended on their own (not stopped by the harness) since `from`: their exit log lines. */
export const unexpectedExits = (swarm: ChaosSwarm, fromLine: number) => swarm.lines.slice(fromLine).filter(l => /^miner \d+: exited/.test(l));

/** Fatal miner errors since `from`. */
export const fatalErrors = (swarm: ChaosSwarm, from: number) => swarm.since(from, e => e.event === 'error' && e.fatal === true);

export const seconds = (ms: number) => Math.round(ms / 100) / 10;
