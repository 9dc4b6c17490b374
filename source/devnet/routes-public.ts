// Read-only views for the console: one miner's score, all scores with the layer table, settings.
import type {Core} from './server.js';
import {HttpError} from './server.js';
import type {MinerRow} from './state.js';

/** Devnet score: 1 for being registered, plus 1 per weight submission and per merged partition. */
export const scoreOf = (m: MinerRow): number => 1 + m.weights_submitted + m.partitions_merged;

export function registerPublicRoutes(core: Core): void {
	const {state} = core;

	core.route('GET', '/orchestrator/metrics/miner_detail/:hotkey', {auth: 'public'}, ({params}) => {
		const m = state.miner(params.hotkey ?? '');
		if (!m) throw new HttpError(404, 'Miner not registered.');
		return {
			hotkey: m.hotkey,
			layer: m.layer,
			score: scoreOf(m),
			backwards_since_reset: m.backwards_since_reset,
			total_backwards: m.total_backwards,
			losses_reported: m.losses_reported,
			last_loss: m.last_loss,
			weights_submitted: m.weights_submitted,
			partitions_merged: m.partitions_merged,
			registered_at: m.registered_at / 1000,
		};
	});

	core.route('GET', '/orchestrator/global_miner_weights', {auth: 'public'}, () => {
		const miners = state.miners();
		return {
			miner_weights: Object.fromEntries(miners.map(m => [m.hotkey, scoreOf(m)])),
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
