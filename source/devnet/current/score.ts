// The devnet validator's scorer on the current orchestrator: per-miner work from what the state
// records (activations, weight submissions, merged partitions), with hash-chain mismatches against.
import type {Database} from '../sqlite.js';
import type {RoundScores, Scorer} from '../score-validator.js';
import type {CurrentState} from './state.js';

/** Units one hash-chain mismatch costs each miner in it (producer and consumer: either may be at fault). */
export const MISMATCH_COST = 10;

export type CurrentWork = {forwards: number; backwards: number; weightsSubmitted: number; partitionsMerged: number; mismatches: number};

/**
 * score = max(0, forwards + backwards + weight submissions + merged partitions − MISMATCH_COST × mismatches),
 * all counted over the run's current and previous epoch (so the score follows recent work and a new
 * epoch does not zero everyone). Spot checks: this devnet only requires the layer-0 spot-check upload
 * (a forward without it is refused, so it never counts); it does not recompute them, so none fail yet.
 */
export function currentScoreOf(w: CurrentWork): number {
	return Math.max(0, w.forwards + w.backwards + w.weightsSubmitted + w.partitionsMerged - MISMATCH_COST * w.mismatches);
}

/** A miner's work from `sinceEpoch` on. */
export function currentWork(db: Database, hotkey: string, sinceEpoch: number): CurrentWork {
	const n = (sql: string, ...args: (string | number)[]) => (db.prepare(sql).get(...args) as {n: number}).n;
	const acts = (direction: string) => n('SELECT COUNT(*) AS n FROM activations WHERE hotkey = ? AND direction = ? AND epoch >= ?', hotkey, direction, sinceEpoch);
	return {
		forwards: acts('forward'),
		backwards: acts('backward'),
		weightsSubmitted: n('SELECT COUNT(*) AS n FROM submissions WHERE hotkey = ? AND epoch >= ?', hotkey, sinceEpoch),
		partitionsMerged: n('SELECT COUNT(*) AS n FROM merged WHERE hotkey = ? AND epoch >= ?', hotkey, sinceEpoch),
		// A mismatch's epoch is its producer's submission's.
		mismatches: n(
			`SELECT COUNT(*) AS n FROM hash_mismatches m JOIN activations a
			ON a.activation_id = m.activation_id AND a.layer = m.producer_layer AND a.direction = m.producer_direction
			WHERE (m.producer = ? OR m.consumer = ?) AND a.epoch >= ?`,
			hotkey, hotkey, sinceEpoch,
		),
	};
}

export class CurrentScorer implements Scorer {
	/** The live orchestrator state (a getter: the orchestrator may be restarted). */
	constructor(readonly state: () => CurrentState) {}

	score(hotkey: string): number {
		const state = this.state();
		return currentScoreOf(currentWork(state.db, hotkey, Math.max(0, state.run().epoch - 1)));
	}

	async round(): Promise<RoundScores> {
		const scores: Record<string, number> = {};
		for (const m of this.state().miners()) scores[m.hotkey] = this.score(m.hotkey);
		return {scores};
	}
}
