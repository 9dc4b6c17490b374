// The merge phases: weights submission, the chunk plan, merged partitions, phase polling.
import {z} from 'zod';
import {Partitions} from '../orchestrator/schemas.js';
import {HttpError, parseBody, type Core} from './server.js';
import {sectionsInPath, toKey, uploadRefusal} from './paths.js';

const WeightsQuery = z.object({
	weights_path: z.string().min(1),
	metadata_path: z.string().min(1),
	optimizer_state_path: z.string().min(1),
	optimizer_state_metadata_path: z.string().min(1),
});

export function registerMergeRoutes(core: Core): void {
	const {state, settings} = core;

	core.route('GET', '/orchestrator/is_merging', {auth: 'public'}, ({query}) => {
		const layer = parseBody(z.coerce.number().int().min(0).max(settings.layers - 1), query.layer);
		const l = state.layer(layer)!;
		return {status: l.phase, num_sections: l.num_sections};
	});

	core.route('POST', '/orchestrator/miners/notify_weights_uploaded', {auth: 'miner'}, async ({hotkey, miner, query}) => {
		const m = miner!;
		core.requirePhase(m, 'weights_uploading');
		const q = parseBody(WeightsQuery, query);
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

	core.route('POST', '/orchestrator/miners/notify_merged_partitions_uploaded', {auth: 'miner'}, async ({hotkey, miner, body}) => {
		const m = miner!;
		core.requirePhase(m, 'miners_merging_partitions');
		const parts = parseBody(Partitions, body);
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
