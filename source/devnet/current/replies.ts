// Reply pieces more than one route builds: presigned GETs, partitions, queue statuses, the registration answer.
import type * as S from '../../orchestrator/current/schemas.js';
import type {CurrentCore} from './core.js';
import type {MinerRow} from './state.js';
import type {PartitionRow} from './state-merge.js';
import type {QueueRow} from './state-queue.js';

export const presignGet = (core: CurrentCore, key: string): Promise<string> => core.presigner.getUrl(key, core.settings.download_expires_s);

export async function partitionReply(core: CurrentCore, p: PartitionRow): Promise<S.MinerPartition> {
	return {layer: p.layer, chunk_number: p.chunk, miner_hotkey: p.hotkey, blob_path: await presignGet(core, p.blob_key), other_miner_hotkey: p.other};
}

export function registrationResponse(core: CurrentCore, m: MinerRow): S.MinerRegistrationResponse {
	return {
		layer: m.layer,
		current_epoch: core.state.run().epoch,
		model_cfg: core.model.cfg,
		model_metadata: core.model.metadata,
		run_id: core.settings.run_id,
		run_flags: core.model.flags,
		num_partitions: core.settings.num_partitions,
		status: null,
	};
}

export function queueReply(core: CurrentCore, q: QueueRow): S.RegistrationQueueStatus {
	const open = q.status === 'queued' || q.status === 'confirming' || q.status === 'confirmed' || q.status === 'processing';
	return {
		queue_id: q.queue_id,
		status: q.status,
		position: open ? core.state.queue.position(q) : null,
		poll_after_seconds: core.settings.queue_poll_after_s,
		confirmation_required: q.status === 'confirming',
		selected_run_id: q.status === 'queued' ? null : core.settings.run_id,
		reserved_until: q.reserved_until === null ? null : new Date(q.reserved_until).toISOString(),
		payload_mismatch: Boolean(q.payload_mismatch),
		detail: q.detail,
		response: q.response ? (JSON.parse(q.response) as S.MinerRegistrationResponse) : null,
		error: q.error ? (JSON.parse(q.error) as Record<string, unknown>) : null,
	};
}
