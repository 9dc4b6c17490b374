// Devnet-only: a miner's own score as the devnet validator computes it (the real protocol has no
// per-miner score route; the miner shows this next to the incentive it reads from the chain).
import type {CurrentCore} from './core.js';
import {CurrentScorer, currentWork} from './score.js';

export const DEVNET_SCORE_ROUTE = '/devnet/miner_score';

export function registerDevnetRoutes(core: CurrentCore): void {
	const scorer = new CurrentScorer(() => core.state);
	core.route('GET', DEVNET_SCORE_ROUTE, {auth: 'miner'}, ({hotkey}) => {
		const since = Math.max(0, core.state.run().epoch - 1);
		return {hotkey, score: scorer.score(hotkey), since_epoch: since, work: currentWork(core.state.db, hotkey, since)};
	});
}
