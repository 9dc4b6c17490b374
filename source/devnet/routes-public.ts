// Read-only views for the console: one miner's score (score.ts) with its on-chain incentive, all
// scores with the layer table, settings.
import {HttpError, type Core} from './core.js';
import {ScoreBook} from './score-book.js';

export function registerPublicRoutes(core: Core): void {
	const {state} = core;
	const book = new ScoreBook(state.db);

	core.route('GET', '/orchestrator/metrics/miner_detail/:hotkey', {auth: 'public'}, async ({params}) => {
		const m = state.miner(params.hotkey ?? '');
		if (!m) throw new HttpError(404, 'Miner not registered.');
		// Incentive/emission as the chain has them; on the devnet they come from the Yuma hook (emulated).
		const onChain = core.chainScore ? await core.chainScore(m.hotkey).catch(() => null) : null;
		return {
			hotkey: m.hotkey,
			layer: m.layer,
			score: book.score(m.hotkey),
			backwards_since_reset: m.backwards_since_reset,
			total_backwards: m.total_backwards,
			losses_reported: m.losses_reported,
			last_loss: m.last_loss,
			weights_submitted: m.weights_submitted,
			partitions_merged: m.partitions_merged,
			registered_at: m.registered_at / 1000,
			work: book.work(m.hotkey),
			spot_checks: book.checks(m.hotkey, 5),
			uid: onChain?.uid ?? null,
			incentive: onChain?.incentive ?? null,
			emission: onChain?.emission ?? null,
			emulated: onChain?.emulated ?? false,
		};
	});

	core.route('GET', '/orchestrator/global_miner_weights', {auth: 'public'}, () => {
		const miners = state.miners();
		return {
			miner_weights: Object.fromEntries(miners.map(m => [m.hotkey, book.score(m.hotkey)])),
			layers: state.layers().map(l => ({
				layer: l.layer,
				status: l.phase,
				epoch: l.epoch,
				num_miners: miners.filter(m => m.layer === l.layer).length,
				num_sections: l.num_sections,
				phase_since: l.phase_since / 1000,
				submitted: state.submissions(l.layer, l.epoch).length,
				merged_chunks: state.partitionCount(l.layer, l.epoch),
			})),
		};
	});

	core.route('GET', '/orchestrator/settings', {auth: 'public'}, () => core.settings);
}
