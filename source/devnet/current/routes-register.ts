// Registration: the attestation challenge, the queue (register, status, confirm) and the payout coldkey.
import {randomUUID} from 'node:crypto';
import * as S from '../../orchestrator/current/schemas.js';
import type {CurrentCore} from './core.js';
import {ApiError, queueError, runFull} from './errors.js';
import {queueReply} from './replies.js';
import {RegistrationQueue} from './registration.js';
import type {QueueRow} from './state-queue.js';

/** system_data (64 KiB) and location fit; an attestation of the largest documented size does too. */
const REGISTER_BODY_LIMIT = 1_200_000;
const CHALLENGE_TTL_S = 300;
/** Finished queue entries are kept this long for late polls. */
const FINISHED_KEEP_MS = 3600_000;

export function registerRegistrationRoutes(core: CurrentCore): void {
	const {state, settings} = core;
	const queue = new RegistrationQueue(core);
	const attestationRequired = () => core.model.flags.attest.enabled;

	// Attestation stays optional on the devnet: the challenge is issued but never checked.
	core.route('POST', '/miner/request_attestation_challenge', {auth: 'signed', body: S.AttestationChallengeRequest}, ({hotkey, body}) => {
		const challengeId = randomUUID();
		const expires = core.now() / 1000 + CHALLENGE_TTL_S;
		return {
			action: body.action,
			attestation_challenge_blob: JSON.stringify({challenge_id: challengeId, action: body.action, run_id: body.run_id ?? settings.run_id, hotkey, expires_at: expires}),
			self_checks: [],
			crypto: 'none',
			expires_at: expires,
		};
	});

	core.route('POST', '/miner/register', {auth: 'signed', body: S.RegisterMinerRequest, maxBody: REGISTER_BODY_LIMIT}, ({hotkey, body, signedText}) => {
		const now = core.now();
		state.queue.prune(now - FINISHED_KEEP_MS);
		state.queue.expireAbandoned(now - (settings.queue_hold_s + settings.confirm_timeout_s) * 1000, now);
		// One open entry per hotkey; asking again with another payload is flagged, not queued twice.
		const open = state.queue.openFor(hotkey);
		if (open) {
			if (open.request !== signedText) state.queue.markMismatch(open.queue_id);
			return queueReply(core, state.queue.get(open.queue_id)!);
		}
		if (!state.miner(hotkey) && queue.isFull()) throw runFull(`Run ${settings.run_id} is full`);
		if (state.queue.openCount() >= settings.max_queue_entries) throw runFull('The registration queue is full');
		if (attestationRequired() && !body.attestation) throw new ApiError('AttestationError', {message: 'This run requires an attestation'});
		const id = randomUUID();
		state.queue.create(id, hotkey, signedText, now);
		return queueReply(core, state.queue.get(id)!);
	});

	const own = (hotkey: string, queueId: string | undefined): QueueRow => {
		const row = queueId && queueId.length <= 256 ? state.queue.get(queueId) : undefined;
		// Someone else's entry reads as unknown: ids are not to be probed.
		if (!row || row.hotkey !== hotkey) throw queueError(`Unknown registration queue id`);
		return row;
	};

	core.route('GET', '/miner/register/status/:queue_id', {auth: 'signed'}, async ({hotkey, params}) =>
		queueReply(core, await queue.step(own(hotkey, params.queue_id))),
	);

	core.route('POST', '/miner/register/confirm/:queue_id', {auth: 'signed', body: S.RegisterConfirmRequest, maxBody: REGISTER_BODY_LIMIT}, async ({hotkey, params, body}) => {
		let row = await queue.step(own(hotkey, params.queue_id));
		if (row.status === 'confirming') {
			if (attestationRequired() && !body.attestation) state.queue.update(row.queue_id, 'failed', core.now(), {error: JSON.stringify({error_name: 'AttestationError', message: 'This run requires an attestation'})});
			else state.queue.update(row.queue_id, 'confirmed', core.now(), {reserved_until: row.reserved_until});
			row = state.queue.get(row.queue_id)!;
		}
		return queueReply(core, row);
	});

	core.route('POST', '/miner/payout_coldkey', {auth: 'miner', body: S.PayoutColdkeyRequest}, ({hotkey, body}) => {
		state.setPayoutColdkey(hotkey, body.payout_coldkey);
		return {message: 'Payout coldkey updated'};
	});
}
