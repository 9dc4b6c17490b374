// merging_partitions: the chunks assigned to a miner, the layer's previous partitions, and merged ones submitted.
import * as S from '../../orchestrator/current/schemas.js';
import type {CurrentCore} from './core.js';
import {ApiError, invalidRequest} from './errors.js';
import {ownedObject} from './objects.js';
import {partitionReply} from './replies.js';

/** A few hundred bytes per partition; an attestation may come along. */
const PARTITIONS_BODY_LIMIT = 1_200_000;
/** The chunk list of get_previous_partitions. */
const CHUNKS_BODY_LIMIT = 64 * 1024;

export function registerPartitionRoutes(core: CurrentCore): void {
	const {state, settings} = core;

	core.route('GET', '/miner/get_partitions', {auth: 'miner'}, ({hotkey, miner}) => {
		const m = miner!;
		core.requirePhase(m, 'merging_partitions');
		return state.merge.assignmentsFor(m.layer, state.run().epoch, hotkey).map(a => ({layer: m.layer, chunk_number: a.chunk, miner_hotkey: hotkey, blob_path: null, other_miner_hotkey: a.other}));
	});

	// The chunks as the last merge left them: old weights and momentum for the outer step.
	const previousOpts = {auth: 'miner' as const, body: S.PreviousPartitionsRequest.optional(), maxBody: CHUNKS_BODY_LIMIT};
	core.route('GET', '/miner/get_previous_partitions', previousOpts, ({miner, body}) =>
		Promise.all(state.merge.currentPartitions(miner!.layer, body ?? []).map(p => partitionReply(core, p))),
	);

	const submitOpts = {auth: 'miner' as const, body: S.SubmitMergedPartitionsRequest, maxBody: PARTITIONS_BODY_LIMIT};
	core.route('POST', '/miner/submit_merged_partitions', submitOpts, async ({hotkey, miner, body}) => {
		const m = miner!;
		core.requirePhase(m, 'merging_partitions');
		if (core.model.flags.attest.enabled && !body.attestation) throw new ApiError('AttestationError', {message: 'This run requires an attestation'});
		const epoch = state.run().epoch;
		const mine = new Map(state.merge.assignmentsFor(m.layer, epoch, hotkey).map(a => [a.chunk, a.other]));
		const rows = [];
		// Every partition is checked before any is stored: a bad one refuses the whole submission.
		for (const p of body.partitions) {
			if (typeof p.chunk_number !== 'number') throw invalidRequest('chunk_number must be a chunk index');
			if (p.layer !== m.layer) throw invalidRequest(`partition for layer ${p.layer}, this miner is on layer ${m.layer}`);
			if (p.miner_hotkey !== hotkey) throw invalidRequest('partition of another miner');
			if (!mine.has(p.chunk_number)) throw invalidRequest(`chunk ${p.chunk_number} is not assigned to this miner`);
			if (!p.blob_path) throw invalidRequest('blob_path is required');
			const key = await ownedObject(core, p.blob_path, hotkey, 'partition');
			rows.push({layer: m.layer, chunk: p.chunk_number, epoch, hotkey, other: mine.get(p.chunk_number) ?? null, blob_key: key});
		}
		const now = core.now();
		const accepted = rows.filter(r => state.merge.addMerged(r, now)).map(r => r.chunk);
		for (let i = 0; i < accepted.length; i++) state.bump(hotkey, 'partitions_merged');
		return {message: `Partitions accepted: ${accepted.length ? accepted.join(', ') : 'none new'}`, num_partitions: settings.num_partitions};
	});
}
