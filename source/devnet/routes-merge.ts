// The merge phases: weights submission, the chunk plan, merged partitions, phase polling.
import {z} from 'zod';
import {PartitionsUpload, PathField} from '../orchestrator/schemas.js';
import {HttpError, type Core} from './core.js';
import {sectionsInPath, toKey, uploadRefusal} from './paths.js';

const WeightsQuery = z.strictObject({
	weights_path: PathField,
	metadata_path: PathField,
	optimizer_state_path: PathField,
	optimizer_state_metadata_path: PathField,
});
const LayerQuery = z.strictObject({layer: z.string().regex(/^\d{1,2}$/, 'not a layer number')});
/** One partition per chunk assigned to the miner; a few hundred bytes each. */
const PARTITIONS_BODY_LIMIT = 256 << 10;

export function registerMergeRoutes(core: Core): void {
	const {state, settings} = core;

	core.route('GET', '/orchestrator/is_merging', {auth: 'public', query: LayerQuery}, ({query}) => {
		const l = state.layer(Number(query.layer));
		if (!l) throw new HttpError(404, `no layer ${query.layer}`);
		return {status: l.phase, num_sections: l.num_sections};
	});

	core.route('POST', '/orchestrator/miners/notify_weights_uploaded', {auth: 'miner', query: WeightsQuery}, async ({hotkey, miner, query: q}) => {
		const m = miner!;
		core.requirePhase(m, 'weights_uploading');
		if (m.backwards_since_reset < settings.batches_before_merging) {
			return {message: 'Weights not accepted', success: `not enough backward passes since the last merge (${m.backwards_since_reset} of ${settings.batches_before_merging})`};
		}
		const l = state.layer(m.layer)!;
		const keys = [q.weights_path, q.metadata_path, q.optimizer_state_path, q.optimizer_state_metadata_path].map(p => toKey(p, core.bucket));
		const [weights, meta, opt, optMeta] = keys as [string, string, string, string];
		const expected: [string, string][] = [[weights, 'weights/'], [meta, 'metadata/weights/'], [opt, 'optimizer_state/'], [optMeta, 'metadata/optimizer_state/']];
		for (const [key, prefix] of expected) {
			const refusal = uploadRefusal(key, hotkey, m.layer);
			if (refusal || !key.startsWith(prefix)) throw new HttpError(403, refusal ?? `expected a ${prefix} path: ${key}`);
			if (sectionsInPath(key) !== l.num_sections) throw new HttpError(400, `path has num_sections ${sectionsInPath(key)}, the layer has ${l.num_sections}: ${key}`);
			if ((await core.presigner.size(key)) === null) throw new HttpError(400, `object not found in store: ${key}`);
		}
		state.upsertSubmission(m.layer, l.epoch, {hotkey, weights_path: weights, weight_metadata_path: meta, optimizer_state_path: opt, optimizer_state_metadata_path: optMeta, weighting_factor: 1 + m.backwards_since_reset}, core.now());
		state.bump(hotkey, 'weights_submitted');
		return {message: 'Weights uploaded', success: 'success'};
	});

	core.route('GET', '/orchestrator/get_chunks_for_miner', {auth: 'miner'}, async ({hotkey, miner}) => {
		const m = miner!;
		core.requirePhase(m, 'miners_merging_partitions');
		const l = state.layer(m.layer)!;
		const get = (key: string) => core.presigner.getUrl(key, settings.download_expires_s);
		const weights = await Promise.all(
			state.submissions(m.layer, l.epoch).map(async s => ({
				weights_path: await get(s.weights_path),
				weight_metadata_path: await get(s.weight_metadata_path),
				optimizer_state_path: await get(s.optimizer_state_path),
				optimizer_state_metadata_path: await get(s.optimizer_state_metadata_path),
				hotkey: s.hotkey,
				weighting_factor: s.weighting_factor,
			})),
		);
		return [weights, state.chunksFor(m.layer, l.epoch, hotkey)];
	});

	const partitionOpts = {auth: 'miner' as const, body: PartitionsUpload, maxBody: PARTITIONS_BODY_LIMIT};
	core.route('POST', '/orchestrator/miners/notify_merged_partitions_uploaded', partitionOpts, async ({hotkey, miner, body: parts}) => {
		const m = miner!;
		core.requirePhase(m, 'miners_merging_partitions');
		const l = state.layer(m.layer)!;
		const mine = new Set(state.chunksFor(m.layer, l.epoch, hotkey));
		const accepted = [];
		for (const p of parts) {
			if (p.layer !== m.layer || p.miner_hotkey !== hotkey) throw new HttpError(403, 'partition is not for this miner and layer');
			if (!mine.has(p.chunk_number)) throw new HttpError(403, `chunk ${p.chunk_number} is not assigned to this miner`);
			const stored = {...p};
			for (const field of ['weight_path', 'weight_metadata_path', 'optimizer_state_path', 'optimizer_state_metadata_path'] as const) {
				const key = toKey(p[field], core.bucket);
				const refusal = uploadRefusal(key, hotkey, m.layer);
				if (refusal) throw new HttpError(403, refusal);
				if ((await core.presigner.size(key)) === null) throw new HttpError(400, `object not found in store: ${key}`);
				stored[field] = key;
			}
			if (state.addPartition(m.layer, l.epoch, stored)) {
				state.bump(hotkey, 'partitions_merged');
				accepted.push(p.chunk_number);
			}
		}
		return {message: `Partitions accepted: ${accepted.length ? accepted.join(', ') : 'none new'}`};
	});
}
