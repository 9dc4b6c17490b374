// Training work: layer-0 samples (with the odd spot-check upload URL), submitted activations checked
// along the BLAKE3 hash chain, and the last layer's losses.
import {randomUUID} from 'node:crypto';
import * as S from '../../orchestrator/current/schemas.js';
import type {CurrentCore} from './core.js';
import {invalidRequest} from './errors.js';
import {keyOf, ownedObject, spotCheckKey} from './objects.js';
import {presignGet} from './replies.js';
import {consumersOf, producerOf, type ActivationRow, type Step} from './state-work.js';

/** Activation stats are a small record, an attestation may be large when the run attests. */
const SUBMIT_BODY_LIMIT = 64 * 1024;

export function registerActivationRoutes(core: CurrentCore): void {
	const {state, settings} = core;
	const last = core.model.layers - 1;

	core.route('GET', '/miner/get_activations', {auth: 'miner', high: true, body: S.GetActivationRequest.optional()}, async ({hotkey, miner, body}) => {
		const m = miner!;
		core.requirePhase(m, 'training');
		// Layers > 0 get their forwards and backwards pushed peer to peer, never from here.
		if (m.layer !== 0) return [];
		const now = core.now();
		// Samples handed before layer 0 last entered training do not count: the merge in between cleared the
		// miners' caches, so those are never coming (counting them starved layer 0 until they timed out).
		const since = Math.max(now - settings.activation_timeout_s * 1000, state.layer(0)?.phase_since ?? 0);
		const outstanding = state.work.outstanding(hotkey, since);
		const room = settings.max_activation_cache_size + 1 - outstanding;
		const n = Math.min(body?.n_fwd_activations ?? 1, settings.max_activations_per_request, Math.max(0, room));
		const out: S.ActivationResponse[] = [];
		for (let i = 0; i < n; i++) {
			const id = randomUUID();
			const sample = core.samples[state.takeSample(core.samples.length)]!;
			const spot = core.random() < settings.spot_check_rate ? spotCheckKey(settings.run_id, id) : null;
			state.work.hand({activation_id: id, hotkey, sample_key: sample, spot_key: spot, handed_at: now});
			const url = await presignGet(core, sample);
			out.push({
				activation_id: id,
				direction: 'forward',
				upload_id: null,
				presigned_download_url: url,
				reason: null,
				presigned_upload_url: spot ? [await core.presigner.putUrl(spot, settings.upload_expires_s)] : [],
				activation_upload_path: spot,
				// The same text is the last layer's target.
				target_download_url: url,
				source_node_id: null,
				source_activation_id: null,
				expected_input_hash: null,
			});
		}
		return out;
	});

	core.route('POST', '/miner/submit_activation', {auth: 'miner', high: true, body: S.SubmitActivationRequest, maxBody: SUBMIT_BODY_LIMIT}, async ({hotkey, miner, body}) => {
		const m = miner!;
		core.requirePhase(m, 'training');
		const id = body.activation_id;
		if (!id) throw invalidRequest('activation_id is required');
		const handed = state.work.handed(id);
		if (!handed) throw invalidRequest('unknown activation_id');
		const step: Step = {layer: m.layer, direction: body.direction};
		if (m.layer === 0 && body.direction === 'forward' && handed.hotkey !== hotkey) throw invalidRequest('activation was handed to another miner');
		let path: string | null = null;
		if (body.activation_path) {
			const key = keyOf(core, body.activation_path);
			// The spot-check object is named by the orchestrator at hand-out, not through an upload.
			if (m.layer === 0 && key === handed.spot_key) {
				if ((await core.presigner.size(key)) === null) throw invalidRequest('spot-check upload not found in store');
				path = key;
			} else path = await ownedObject(core, body.activation_path, hotkey, 'activation');
		}
		const row: ActivationRow = {
			activation_id: id,
			...step,
			hotkey,
			input_hash: body.input_activation_hash ?? null,
			output_hash: body.output_activation_hash ?? null,
			path,
			epoch: state.run().epoch,
			at: core.now(),
		};
		let mismatches = 0;
		state.tx(() => {
			if (!state.work.addActivation(row)) throw invalidRequest(`${body.direction} of this activation on layer ${m.layer} was already submitted`);
			state.bump(hotkey, body.direction === 'forward' ? 'forwards' : 'backwards');
			mismatches = checkChain(core, row, last);
		});
		return {message: 'Activation submitted', hash_mismatches: mismatches};
	});

	core.route('POST', '/miner/report_loss', {auth: 'miner', body: S.LossReportRequest}, ({hotkey, miner, body}) => {
		const m = miner!;
		core.requirePhase(m, 'training');
		if (m.layer !== last) throw invalidRequest('only the last layer reports losses');
		if (body.layer_idx !== undefined && body.layer_idx !== null && body.layer_idx !== m.layer) throw invalidRequest(`layer_idx ${body.layer_idx} is not this miner's layer ${m.layer}`);
		if (!state.work.handed(body.activation_id)) throw invalidRequest('unknown activation_id');
		if (!state.work.addLoss(hotkey, body.activation_id, body.loss, core.now())) throw invalidRequest('loss already reported for this activation');
		state.recordLossOn(hotkey, body.loss);
		return {message: 'Loss reported'};
	});
}

/**
 * Compares this record with its neighbours on the chain, whichever arrived first: its input against
 * its producer's output, its output against each consumer's input. A mismatch is recorded with both
 * miners (either may have lied) and counted on both. Returns how many were found.
 */
function checkChain(core: CurrentCore, row: ActivationRow, last: number): number {
	const {work} = core.state;
	let found = 0;
	const compare = (producer: ActivationRow, consumer: ActivationRow) => {
		if (!producer.output_hash || !consumer.input_hash || producer.output_hash === consumer.input_hash) return;
		work.addMismatch({
			activation_id: row.activation_id,
			producer_layer: producer.layer,
			producer_direction: producer.direction,
			producer: producer.hotkey,
			consumer_layer: consumer.layer,
			consumer_direction: consumer.direction,
			consumer: consumer.hotkey,
			produced: producer.output_hash,
			consumed: consumer.input_hash,
			at: row.at,
		});
		core.state.bump(producer.hotkey, 'hash_mismatches');
		if (consumer.hotkey !== producer.hotkey) core.state.bump(consumer.hotkey, 'hash_mismatches');
		core.log(`orchestrator: hash mismatch on ${row.activation_id}: layer ${producer.layer} ${producer.direction} by ${producer.hotkey} produced ${producer.output_hash.slice(0, 16)}, layer ${consumer.layer} ${consumer.direction} by ${consumer.hotkey} consumed ${consumer.input_hash.slice(0, 16)}`);
		found++;
	};
	const p = producerOf(row, last);
	const producer = p && work.activation(row.activation_id, p);
	if (producer) compare(producer, row);
	for (const c of consumersOf(row, last)) {
		const consumer = work.activation(row.activation_id, c);
		if (consumer) compare(row, consumer);
	}
	return found;
}
