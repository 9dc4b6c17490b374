// The session's merge steps over the DiLoCo merge path (diloco-merge.ts): the pseudo-gradient against the
// epoch's snapshot, the assigned chunks merged in one go, merged partitions pulled into the worker, and the
// layer's merge count (the run epoch only moves once every layer is back in training, so it cannot say).
import {LayerStateError} from '../../orchestrator/current/errors.js';
import {bytesToBf16} from '../../training/bf16.js';
import {pseudoGradientMaxNorm} from '../../training/diloco/index.js';
import type {MergedLayer, MergeRound, WeightsSubmission} from '../protocol.js';
import {dilocoFlags, mergePartitions, pullMergedWeights, submitPseudoGradient, type DilocoIo} from './diloco-merge.js';
import type {CurrentLink} from './link.js';
import {heartbeat} from './work.js';

/** The largest blob region a merge reads: a whole layer of bf16 weights with room to spare. */
const MAX_BLOB_BYTES = 4 * 1024 * 1024 * 1024;

function io(link: CurrentLink): DilocoIo {
	const run = link.run!;
	return {
		client: link.client, xfer: link.xfer(MAX_BLOB_BYTES), log: link.host.log, layer: link.host.layer, numPartitions: run.num_partitions, flags: dilocoFlags(run.run_flags),
		upload: {onUpload: item => link.host.dispatch({type: 'upload', item})},
	};
}

export async function submitWeights(link: CurrentLink, s: WeightsSubmission): Promise<boolean> {
	const {host, run} = link;
	if (!link.snapshot || !run) {
		host.log('warn', 'no weights snapshot for this epoch (the layer was never synced): weights not submitted');
		return false;
	}
	const current = bytesToBf16(s.weights);
	const clip = run.run_flags.clip_pseudo_gradients.enabled && run.model_cfg.total_global_params && run.model_metadata.grad_clip_norm;
	host.waiting('pseudo-gradient upload');
	try {
		const r = await submitPseudoGradient(io(link), {
			snapshot: link.snapshot,
			current,
			localSteps: s.localSteps ?? 0,
			optimizerState: async () => bytesToBf16(s.optimizerState),
			clipMaxNorm: clip ? pseudoGradientMaxNorm(run.model_metadata.grad_clip_norm!, current.length, run.model_cfg.total_global_params!) : undefined,
		});
		host.heartbeat();
		// The orchestrator answers 200 either way; its message says whether the weights count.
		if (/not accepted/i.test(r.message)) {
			host.log('warn', r.message);
			return false;
		}
		return true;
	} catch (error) {
		if (!(error instanceof LayerStateError)) throw error;
		host.log('warn', `weights too late: layer ${error.layer} is in ${error.actual_status}`);
		return false;
	}
}

/** The whole merge runs here (sources, outer step, uploads, submit); the round reports what it did. */
export async function mergeRound(link: CurrentLink): Promise<MergeRound | null> {
	if (!link.snapshot) return null;
	// The outer momentum follows the run's epoch, as the heartbeat reports it.
	const epoch = (await heartbeat(link)).epoch;
	link.host.waiting('merging the assigned partitions');
	const out = await mergePartitions(io(link), {snapshot: link.snapshot, epoch});
	link.host.heartbeat();
	const chunks = out.merged.map(m => m.chunk);
	return {
		chunks,
		sources: [],
		// Already merged and uploaded straight to the store: nothing waits in the upload queue.
		mergeChunk: async () => [],
		publish: async () => (out.published ? `${out.merged.length} of ${out.assigned.length} assigned chunks submitted` : null),
	};
}

/** Entering training: the layer's merged partitions over the snapshot (first time: the worker's own weights). */
export function mergedLayer(link: CurrentLink): MergedLayer {
	let parts = 0;
	return {
		get parts() {
			return parts;
		},
		apply: async (w, o) => {
			const first = link.snapshot === null;
			const r = await pullMergedWeights(io(link), {current: link.snapshot ?? w.slice(), firstDownload: first, newToLayer: first, optimizerStateLength: o.length});
			link.host.heartbeat();
			if (r.status !== 'applied') {
				link.snapshot ??= w.slice();
				return false;
			}
			parts = r.applied.length;
			w.set(r.weights);
			if (r.optimizerState) o.set(r.optimizerState);
			link.snapshot = r.weights.slice();
			return true;
		},
	};
}

/** Merges this layer completed since we joined, on top of the run's epoch then: one per new set of merged partitions. */
export async function layerEpoch(link: CurrentLink): Promise<number> {
	const listed = (await link.client.getMergedPartitions()).filter(p => p.layer === link.host.layer);
	link.host.heartbeat();
	const key = (path: string | null | undefined) => {
		try {
			return new URL(path ?? '').pathname; // presigned URLs differ per call; the object does not
		} catch {
			return path ?? '';
		}
	};
	const sig = listed.map(p => `${String(p.chunk_number)}:${p.miner_hotkey ?? ''}:${key(p.blob_path)}`).sort().join('|');
	if (link.mergeSig !== null && sig !== link.mergeSig) link.merges++;
	link.mergeSig = sig;
	return (link.run?.current_epoch ?? 0) + link.merges;
}
