// weights_uploading: pseudo-gradient blobs and the one optimizer state per layer and epoch; the
// submitters' blobs for the merge, each with its weighting factor.
import * as S from '../../orchestrator/current/schemas.js';
import type {CurrentCore} from './core.js';
import {ApiError, invalidRequest} from './errors.js';
import {ownedObject} from './objects.js';
import {presignGet} from './replies.js';

const WEIGHTS_BODY_LIMIT = 1_200_000;

export function registerWeightRoutes(core: CurrentCore): void {
	const {state, settings} = core;
	const attestationMissing = (a: unknown) => core.model.flags.attest.enabled && !a;

	core.route('POST', '/miner/submit_weights', {auth: 'miner', body: S.WeightUpdate, maxBody: WEIGHTS_BODY_LIMIT}, async ({hotkey, miner, body}) => {
		const m = miner!;
		core.requirePhase(m, 'weights_uploading');
		if (attestationMissing(body.attestation)) throw new ApiError('AttestationError', {message: 'This run requires an attestation'});
		if (m.backwards_since_reset < settings.batches_before_merging) {
			return {message: `Weights not accepted: ${m.backwards_since_reset} of ${settings.batches_before_merging} backward passes since the last merge`, should_upload_optimizer_state: false};
		}
		const key = await ownedObject(core, body.weights_path, hotkey, 'weights');
		const epoch = state.run().epoch;
		const first = !state.merge.submission(m.layer, epoch, hotkey);
		// The weighting factor is the work behind the pseudo-gradient: backwards since the last merge.
		const sub = state.merge.submit(m.layer, epoch, hotkey, key, m.backwards_since_reset, core.now());
		if (first) state.bump(hotkey, 'weights_submitted');
		return {message: 'Weights submitted', should_upload_optimizer_state: sub.optimizer_uploader === 1};
	});

	core.route('POST', '/miner/submit_optimizer_state', {auth: 'miner', body: S.OptimizerStateUpdate}, async ({hotkey, miner, body}) => {
		const m = miner!;
		core.requirePhase(m, 'weights_uploading', 'merging_partitions');
		const epoch = state.run().epoch;
		if (state.merge.submission(m.layer, epoch, hotkey)?.optimizer_uploader !== 1) throw invalidRequest('this miner was not asked for the optimizer state this epoch');
		const key = await ownedObject(core, body.optimizer_state_path, hotkey, 'optimizer_state');
		state.merge.setOptimizerState(m.layer, epoch, hotkey, key, core.now());
		return {message: 'Optimizer state submitted'};
	});

	core.route('GET', '/miner/get_layer_optimizer_state', {auth: 'miner'}, async ({miner}) => {
		const latest = state.merge.latestOptimizerState(miner!.layer);
		return latest ? {optimizer_state_url: await presignGet(core, latest.key), available: true} : {optimizer_state_url: null, available: false};
	});

	core.route('GET', '/miner/get_weight_path_per_layer', {auth: 'miner'}, async ({miner}) => {
		const m = miner!;
		core.requirePhase(m, 'merging_partitions');
		const subs = state.merge.submissions(m.layer, state.run().epoch);
		return Promise.all(subs.map(async s => ({layer: m.layer, weights_path_presigned: await presignGet(core, s.weights_key), weighting_factor: s.weighting_factor})));
	});
}
