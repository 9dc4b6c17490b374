// v1 uploads: activations and weights go through the persistent queue as objects under v1's keys,
// each job PUT through a presigned URL; an activation is then published with a status update.
import {randomUUID} from 'node:crypto';
import {UserError} from '../../errors.js';
import {OrchestratorError, WrongPhaseError} from '../../orchestrator/client.js';
import {putPresigned, uploadObject} from '../../orchestrator/transfer.js';
import type {QueuedJob} from '../../storage/upload-queue.js';
import {vectorMetadata} from '../../training/bf16.js';
import {isUuid} from '../guards.js';
import type {Output, WeightsSubmission} from '../protocol.js';
import type {Direction} from '../types.js';
import type {V1Link} from './link.js';

export const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** The queue's transfer. A forward waits for its initial through the queue (enqueue's `after`), never inside a slot. */
export async function runUpload(link: V1Link, job: QueuedJob): Promise<void> {
	const {host, client, uploadClient} = link;
	uploadClient.orchestratorVersion = client.orchestratorVersion;
	const o = {...link.xfer(undefined, AbortSignal.any([job.signal, host.uploadsSignal])), attempts: 2};
	const body = await job.body();
	if (job.kind === 'metadata') await putPresigned(await uploadClient.presignedUrl(job.key), body, o);
	else await uploadObject(uploadClient, job.key, body, undefined, o);
	host.heartbeat();
	if (job.kind !== 'activation') return;
	const uid = String(job.meta.activationUid);
	const direction = job.meta.direction as Direction;
	try {
		await uploadClient.updateStatus(direction, uid, job.key);
	} catch (error) {
		// The layer left training, or the orchestrator archived this sample (merge, timeout):
		// the activation is stale and v1 drops it. The object is stored; nothing to retry.
		if (error instanceof WrongPhaseError || (error instanceof OrchestratorError && [400, 403, 404].includes(error.status))) {
			host.stats.stale++;
			host.log('warn', `activation ${uid.slice(0, 8)} ${direction} not published (stale: ${error instanceof WrongPhaseError ? `layer expected ${error.expectedState}` : error.detail})`);
			return;
		}
		throw error;
	}
	host.stats.published++;
	host.dispatch({type: 'published', key: job.key, activationUid: uid, at: Date.now()});
}

function enqueueActivation(link: V1Link, uid: string, direction: Direction, body: Uint8Array, after?: string): Promise<string> {
	const {layer} = link.host;
	if (!isUuid(uid)) throw new UserError(`activation uid "${String(uid).slice(0, 40)}" is not a UUID: not used in a storage key`);
	const key = `activations/${uid}/${layer}/${direction}/${randomUUID()}.bin`;
	return link.host.enqueue(key, 'activation', body, {activationUid: uid, direction, layer}, after);
}

/** A head's forward goes after its token ids (the initial activation), which the last stage downloads. */
export async function deliver(link: V1Link, out: Output): Promise<void> {
	const initial = out.tokenIds ? await enqueueActivation(link, out.id, 'initial', out.tokenIds) : undefined;
	await enqueueActivation(link, out.id, out.direction, out.body, initial);
}

/** Weights and optimizer state, each with its metadata JSON (sections), then notify_weights_uploaded. */
export async function submitWeights(link: V1Link, s: WeightsSubmission): Promise<boolean> {
	const {host, client} = link;
	const {weights: w, optimizerState: o, sections, epoch} = s;
	const key = (kind: string, ext: string) => `${kind}/${host.hotkey}/${sections}/${epoch}/${randomUUID()}.${ext}`;
	const k = {w: key('weights', 'bin'), wm: key('metadata/weights', 'json'), o: key('optimizer_state', 'bin'), om: key('metadata/optimizer_state', 'json')};
	const ids = [
		await host.enqueue(k.w, 'weights', w),
		await host.enqueue(k.wm, 'metadata', json(vectorMetadata(w.length / 2, sections))),
		await host.enqueue(k.o, 'optimizer_state', o),
		await host.enqueue(k.om, 'metadata', json(vectorMetadata(o.length / 2, sections))),
	];
	host.waiting(`weights + optimizer state upload (${((w.length + o.length) / 1e6).toFixed(2)} MB)`);
	await host.uploaded(ids, 30 * 60_000, 'weights + optimizer state upload');
	host.waiting('notify_weights_uploaded');
	try {
		const r = await client.notifyWeightsUploaded({weights_path: k.w, metadata_path: k.wm, optimizer_state_path: k.o, optimizer_state_metadata_path: k.om});
		host.heartbeat();
		if (r.success !== 'success') {
			host.log('warn', `weights not accepted: ${r.success}`);
			return false;
		}
	} catch (error) {
		if (error instanceof WrongPhaseError) {
			host.log('warn', `weights too late: layer already in ${error.expectedState === 'weights_uploading' ? 'the next phase' : error.expectedState}`);
			return false;
		}
		throw error;
	}
	return true;
}
