// Where the run stands for a miner: heartbeat, its layer's phase, whether all layers train, the run config.
import {z} from 'zod';
import * as S from '../../orchestrator/current/schemas.js';
import type {CurrentCore} from './core.js';

const HeartbeatQuery = z.strictObject({expected_phase: S.LayerPhase.optional()});

export function registerPhaseRoutes(core: CurrentCore): void {
	const {state, settings} = core;

	// expected_phase is only what the miner waits for: the reply says where the layer is, never an error.
	core.route('GET', '/miner/heartbeat', {auth: 'miner', high: true, query: HeartbeatQuery}, ({miner}) => {
		const m = miner!;
		return {run_id: settings.run_id, layer: m.layer, epoch: state.run().epoch, phase: state.layer(m.layer)!.phase, status: 'active'};
	});

	core.route('GET', '/miner/layer_state', {auth: 'miner'}, ({miner}) => state.layer(miner!.layer)!.phase);

	core.route('GET', '/miner/all_layers_training', {auth: 'miner'}, () => state.layers().every(l => l.phase === 'training'));

	core.route('GET', '/miner/get_run_config', {auth: 'miner'}, () => ({run_id: settings.run_id, run_flags: core.model.flags, model_metadata: core.model.metadata}));

	// Called before a weights upload; the int is the epoch the upload belongs to.
	core.route('GET', '/miner/notify_orchestrator_of_state_call', {auth: 'miner'}, ({hotkey}) => {
		state.bump(hotkey, 'state_calls');
		return state.run().epoch;
	});
}
