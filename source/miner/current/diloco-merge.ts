// The merge path of the current protocol (spec 30017) as plain functions over a CurrentClient and the store:
// WEIGHTS_UPLOADING (pseudo-gradient blob, optimizer state when asked), MERGING_PARTITIONS (the assigned chunks:
// sources' sections averaged, outer Nesterov step, partition blobs) and entering TRAINING (merged partitions spliced
// in with the cosine check). The math is training/diloco's; this module only moves bytes and keeps the bookkeeping.
import {errorMessage, UserError} from '../../errors.js';
import type {CurrentClient} from '../../orchestrator/current/client.js';
import {LayerStateError} from '../../orchestrator/current/errors.js';
import type * as S from '../../orchestrator/current/schemas.js';
import type {TransferOptions} from '../../orchestrator/transfer.js';
import {buildOptimizerStateBlob, buildWeightsBlob, sectionOf, type WeightsTrailer} from '../../training/blob.js';
import {fetchPartitionRegion, fetchWeightsSection, fetchWeightsTrailer, rangedGet, type FetchLike} from '../../training/blob-range.js';
import {bytesToBf16} from '../../training/bf16.js';
import {applyMergedPartitions, chunkRange, mergeChunk, preparePseudoGradient, selectSources, sliceChunk, type ChunkSource, type DownloadedPartition, type TrailerResult} from '../../training/diloco/index.js';
import {storeFetch, uploadBlob, type UploadBlobOptions} from './blob-transfer.js';

export type MergeLog = (level: 'info' | 'warn' | 'error', text: string) => void;

/** The run flags the merge path reads (see dilocoFlags). */
export type DilocoFlags = {
	/** weighted_partition_averaging: sources weighted by the orchestrator's weighting_factor (on by default). */
	weighted: boolean;
	/** enforce_min_local_optimizer_steps: drop sources with fewer than 5 local steps. */
	enforceMinSteps: boolean;
	/** upload_optimizer_state: a miner new to its layer loads the layer's optimizer state. */
	uploadOptimizerState: boolean;
	/** attest: the run wants attestations, which iota-tui cannot make. */
	attest: boolean;
};

export const dilocoFlags = (f: S.RunFlags): DilocoFlags => ({
	weighted: f.weighted_partition_averaging.enabled,
	enforceMinSteps: f.enforce_min_local_optimizer_steps.enabled,
	uploadOptimizerState: f.upload_optimizer_state.enabled,
	attest: f.attest.enabled,
});

/** What every step needs: the signed client, how to reach the store, where this miner sits, and the run's flags. */
export type DilocoIo = {
	client: CurrentClient;
	/** Presigned transfers: allowHosts (the store), caps, deadlines and the stop signal (xfer.signal). */
	xfer: TransferOptions;
	log: MergeLog;
	/** This miner's layer. */
	layer: number;
	/** The run's num_partitions: sections of every weights blob, chunks of every layer. */
	numPartitions: number;
	flags: DilocoFlags;
	/** Upload events (onUpload); tests also set smaller parts. */
	upload?: UploadBlobOptions;
};

const short = (hotkey: string | null | undefined) => (hotkey ?? '?').slice(0, 8);
const fetcher = (io: DilocoIo): FetchLike => storeFetch(io.xfer);
const stopped = (io: DilocoIo) => io.xfer.signal?.throwIfAborted();

const noticed = new WeakMap<DilocoIo, Set<string>>();
/** Logs `text` once per io (one miner session). */
function once(io: DilocoIo, key: string, level: 'info' | 'warn', text: string): void {
	const seen = noticed.get(io) ?? new Set<string>();
	noticed.set(io, seen);
	if (seen.has(key)) return;
	seen.add(key);
	io.log(level, text);
}

function noAttestation(io: DilocoIo): void {
	if (io.flags.attest) once(io, 'attest', 'warn', 'this run asks for attestations; iota-tui cannot attest (closed native module), so weights and merged partitions go without one and may be refused');
	else once(io, 'attest', 'info', 'weights and merged partitions are submitted without an attestation (iota-tui cannot attest; this run does not ask for one)');
}

// ---------------------------------------------------------------- WEIGHTS_UPLOADING

export type PseudoGradientInput = {
	/** The weights at the start of the epoch (the last pullMergedWeights result, or the initial weights), bf16. */
	snapshot: Uint16Array;
	/** The worker's weights now, bf16, same length. */
	current: Uint16Array;
	/** Local (inner) optimizer steps this epoch: the trailer's local_optimization_steps. */
	localSteps: number;
	/** The worker's flat optimizer state (bf16); read only when the orchestrator asks for it. */
	optimizerState: () => Promise<Uint16Array>;
	/** With the clip_pseudo_gradients flag: diloco.pseudoGradientMaxNorm(grad_clip_norm, stage params, total params). */
	clipMaxNorm?: number;
};

export type PseudoGradientSubmission = {
	weightsPath: string;
	/** The orchestrator's answer (it may say the weights were not accepted). */
	message: string;
	/** The uploaded optimizer state's path, when the orchestrator asked for it. */
	optimizerStatePath: string | null;
};

/**
 * At WEIGHTS_UPLOADING: notify_orchestrator_of_state_call, the pseudo-gradient (snapshot - current in fp32, to bf16,
 * clipped when asked) as a weights blob of num_partitions sections, submit_weights (no attestation), and when the
 * reply says should_upload_optimizer_state, the flat optimizer state as a one-section blob and submit_optimizer_state.
 * Orchestrator errors propagate (a LayerStateError: the layer left weights_uploading).
 */
export async function submitPseudoGradient(io: DilocoIo, p: PseudoGradientInput): Promise<PseudoGradientSubmission> {
	const {client} = io;
	await client.notifyStateCall();
	const pg = preparePseudoGradient(p.snapshot, p.current, {clipMaxNorm: p.clipMaxNorm});
	const blob = buildWeightsBlob(pg, io.numPartitions, p.localSteps);
	stopped(io);
	const weightsPath = await uploadBlob(client, 'weights', blob.bytes, io.xfer, io.upload);
	noAttestation(io);
	const r = await client.submitWeights(weightsPath, null);
	let optimizerStatePath: string | null = null;
	if (r.should_upload_optimizer_state) {
		const state = buildOptimizerStateBlob(await p.optimizerState(), p.localSteps);
		stopped(io);
		optimizerStatePath = await uploadBlob(client, 'optimizer_state', state.bytes, io.xfer, io.upload);
		await client.submitOptimizerState(optimizerStatePath);
		io.log('info', `optimizer state uploaded for layer ${io.layer} (${(state.bytes.length / 1e6).toFixed(2)} MB)`);
	}
	io.log('info', `pseudo-gradient submitted for layer ${io.layer}: ${pg.length} values in ${io.numPartitions} sections, ${p.localSteps} local steps (${r.message})`);
	return {weightsPath, message: r.message, optimizerStatePath};
}

// ---------------------------------------------------------------- MERGING_PARTITIONS

export type MergeInput = {
	/** The weights at the start of the epoch (bf16): the old weights of the outer step. */
	snapshot: Uint16Array;
	/** The run's epoch (heartbeat or get_run_epoch): sets the outer momentum. */
	epoch: number;
};

export type MergeOutcome = {
	/** Chunks the orchestrator assigned to this miner. */
	assigned: number[];
	/** Chunks merged and submitted, with their partition blob paths. */
	merged: Array<{chunk: number; blobPath: string; sources: number}>;
	/** Chunks not merged, and why. */
	skipped: Array<{chunk: number; reason: string}>;
	/** Sources left out of every chunk (trailer not usable, too few local steps). */
	droppedSources: Array<{index: number; reason: string}>;
	/** submit_merged_partitions went through (false: nothing to submit, or the layer had moved on). */
	published: boolean;
};

type Source = S.WeightPath & {trailer?: WeightsTrailer};

/** A source's trailer, refused unless it describes a vector of this layer's length in num_partitions sections. */
async function sourceTrailer(io: DilocoIo, url: string, numValues: number): Promise<TrailerResult & {t?: WeightsTrailer}> {
	try {
		const t = await fetchWeightsTrailer(url, fetcher(io));
		if (t.shape.length !== 1 || t.shape[0] !== numValues) throw new UserError(`shape [${t.shape.join(', ')}], this layer has ${numValues} values`);
		const sections = Object.keys(t.sections).length;
		if (sections !== io.numPartitions) throw new UserError(`${sections} sections, the run has ${io.numPartitions} partitions`);
		return {trailer: t, t};
	} catch (error) {
		return {error};
	}
}

/** The chunk's previous momentum (the optimizer_state region of the layer's current partition), or null. */
async function previousMomentum(io: DilocoIo, prev: S.MinerPartition | undefined, chunk: number, length: number): Promise<Uint16Array | null> {
	if (!prev?.blob_path) return null;
	try {
		const r = await fetchPartitionRegion(prev.blob_path, 'optimizer_state', fetcher(io));
		if (r.trailer.chunk_number !== chunk) throw new UserError(`blob is chunk ${r.trailer.chunk_number}`);
		if (r.values.length !== length) throw new UserError(`${r.values.length} values for a chunk of ${length}`);
		return r.values;
	} catch (error) {
		io.log('warn', `chunk ${chunk}: previous momentum not usable (${errorMessage(error)}): the outer step starts a new buffer`);
		return null;
	}
}

/** One source's section `chunk` (its bytes at the trailer's offsets). */
async function sourceSection(io: DilocoIo, s: Source, chunk: number): Promise<Uint16Array> {
	const sec = sectionOf(s.trailer!, chunk);
	if (sec.end_byte === sec.start_byte) return new Uint16Array(0);
	return bytesToBf16((await rangedGet(s.weights_path_presigned, sec.start_byte, sec.end_byte - 1, fetcher(io))).bytes);
}

const isLate = (error: unknown) => error instanceof LayerStateError && error.actual_status !== 'merging_partitions';

/**
 * At MERGING_PARTITIONS: get_weight_path_per_layer (the sources), get_partitions (this miner's chunks) and
 * get_previous_partitions (their momentum). Every source's trailer is read once; selectSources drops the unusable
 * ones for all chunks. Per chunk: range-GET each kept source's section (IOTA drops the chunk when one of these
 * fails; the chunk's other merger may still do it), mergeChunk against the snapshot, upload the partition blob.
 * Then one submit_merged_partitions (no attestation). A layer that already left merging is not an error.
 */
export async function mergePartitions(io: DilocoIo, p: MergeInput): Promise<MergeOutcome> {
	const {client} = io;
	const out: MergeOutcome = {assigned: [], merged: [], skipped: [], droppedSources: [], published: false};
	let sources: Source[];
	let assigned: S.MinerPartition[];
	try {
		sources = (await client.getWeightPathPerLayer()).filter(s => s.layer === io.layer);
		assigned = await client.getPartitions();
	} catch (error) {
		if (!isLate(error)) throw error;
		io.log('info', `layer ${io.layer} no longer merges: nothing to merge`);
		return out;
	}
	const other = new Map<number, string | null>();
	for (const a of assigned) {
		const c = a.chunk_number;
		if (a.layer !== io.layer || typeof c !== 'number' || c >= io.numPartitions) {
			io.log('warn', `assignment ${JSON.stringify({layer: a.layer, chunk_number: c})} is not a chunk of layer ${io.layer}: ignored`);
			continue;
		}
		if (!other.has(c)) other.set(c, a.other_miner_hotkey ?? null);
	}
	out.assigned = [...other.keys()].sort((a, b) => a - b);
	if (out.assigned.length === 0) return out;

	const n = p.snapshot.length;
	const previous = await client.getPreviousPartitions(out.assigned);
	const trailers = await Promise.all(sources.map(s => sourceTrailer(io, s.weights_path_presigned, n)));
	trailers.forEach((t, i) => (sources[i]!.trailer = t.t));
	const selection = selectSources(trailers, {enforceMinSteps: io.flags.enforceMinSteps});
	out.droppedSources = selection.dropped;
	for (const d of selection.dropped) io.log('warn', `merge source ${d.index + 1} of ${sources.length} left out: ${d.reason}`);
	const kept = selection.kept.map(i => sources[i]!);

	const partitions: S.MinerPartitionInput[] = [];
	for (const chunk of out.assigned) {
		stopped(io);
		const skip = (reason: string) => {
			out.skipped.push({chunk, reason});
			io.log('warn', `chunk ${chunk} of layer ${io.layer} not merged: ${reason}`);
		};
		const {start, end} = chunkRange(n, io.numPartitions, chunk);
		if (end === start) {
			skip('empty chunk');
			continue;
		}
		if (kept.length === 0) {
			skip('no usable source');
			continue;
		}
		let chunkSources: ChunkSource[];
		try {
			chunkSources = [];
			for (const s of kept) chunkSources.push({values: await sourceSection(io, s, chunk), weightingFactor: s.weighting_factor});
		} catch (error) {
			skip(`a source's section could not be read (${errorMessage(error)})`);
			continue;
		}
		const oldMomentum = await previousMomentum(io, previous.find(x => x.chunk_number === chunk && x.layer === io.layer), chunk, end - start);
		let merged;
		try {
			merged = mergeChunk({chunkNumber: chunk, layer: io.layer, oldWeights: sliceChunk(p.snapshot, io.numPartitions, chunk), sources: chunkSources, oldMomentum, epoch: p.epoch, weighted: io.flags.weighted});
		} catch (error) {
			skip(errorMessage(error));
			continue;
		}
		for (const s of merged.skipped) io.log('warn', `chunk ${chunk}: source ${s.index + 1} skipped: ${s.reason}`);
		let blobPath: string;
		try {
			blobPath = await uploadBlob(client, 'partition', merged.blob.bytes, io.xfer, io.upload);
		} catch (error) {
			// One failed upload loses this chunk only (its other merger may have it); a stop ends the merge.
			stopped(io);
			if (isLate(error)) {
				io.log('info', `layer ${io.layer} finished merging while chunk ${chunk} was uploading`);
				return out;
			}
			skip(`partition blob not uploaded (${errorMessage(error)})`);
			continue;
		}
		partitions.push({layer: io.layer, chunk_number: chunk, miner_hotkey: client.hotkey, blob_path: blobPath, other_miner_hotkey: other.get(chunk) ?? null});
		out.merged.push({chunk, blobPath, sources: merged.used.length});
	}
	if (partitions.length === 0) return out;
	noAttestation(io);
	try {
		const r = await client.submitMergedPartitions(partitions, null);
		out.published = true;
		const message = typeof r === 'object' && r !== null && 'message' in r ? String((r as {message: unknown}).message) : 'submitted';
		io.log('info', `merged chunk${partitions.length > 1 ? 's' : ''} ${out.merged.map(m => m.chunk).join(', ')} of layer ${io.layer} (epoch ${p.epoch}): ${message}`);
	} catch (error) {
		if (!isLate(error)) throw error;
		io.log('info', `merged partitions not needed: layer ${io.layer} already finished merging`);
	}
	return out;
}

// ---------------------------------------------------------------- entering TRAINING

export type PullInput = {
	/** The weights the merged chunks replace (the epoch's snapshot), bf16. */
	current: Uint16Array;
	/** No cosine check: the first download after joining (local weights are still the random init). */
	firstDownload: boolean;
	/** New to the layer: also load the layer's optimizer state when upload_optimizer_state is on. */
	newToLayer: boolean;
	/** The worker's flat optimizer state length; a downloaded state of another length is refused. */
	optimizerStateLength?: number;
};

export type PulledWeights = {
	/**
	 * 'applied': `weights` holds the merged layer; 'none': nothing merged yet (`weights` is `current`);
	 * 'partial': under 90 % of the chunks passed (IOTA applies none; `weights` is `current`).
	 */
	status: 'applied' | 'partial' | 'none';
	/** The full weight vector to load into the worker and keep as the next snapshot. */
	weights: Uint16Array;
	applied: number[];
	rejected: Array<{chunkNumber: number; reason: string; cosine?: number}>;
	/** The layer's optimizer state (section "0"), when it was asked for and available. */
	optimizerState: Uint16Array | null;
};

/** One merged partition's weights region, or null (logged) when it cannot be used. */
async function mergedChunk(io: DilocoIo, p: S.MinerPartition): Promise<Uint16Array | null> {
	try {
		if (!p.blob_path) throw new UserError('no blob_path');
		const r = await fetchPartitionRegion(p.blob_path, 'weights', fetcher(io));
		if (r.trailer.chunk_number !== p.chunk_number) throw new UserError(`blob is chunk ${r.trailer.chunk_number}`);
		if (r.trailer.layer !== io.layer) throw new UserError(`blob is for layer ${r.trailer.layer}`);
		return r.values;
	} catch (error) {
		io.log('warn', `merged chunk ${String(p.chunk_number)} of layer ${io.layer} not downloaded: ${errorMessage(error)}`);
		return null;
	}
}

/**
 * Entering TRAINING: get_merged_partitions, each chunk's weights region (ranged GETs), applyMergedPartitions onto
 * `current` (cosine >= 0.9 except on the first download, >= 90 % of the chunks). When new to the layer and the run
 * uploads optimizer states: get_layer_optimizer_state and its section "0".
 */
export async function pullMergedWeights(io: DilocoIo, p: PullInput): Promise<PulledWeights> {
	const listed = (await io.client.getMergedPartitions()).filter(x => x.layer === io.layer);
	const downloaded: DownloadedPartition[] = [];
	for (const x of listed) {
		stopped(io);
		// 'all' (a whole-layer partition) is not a chunk number: applyMergedPartitions rejects it.
		downloaded.push({chunkNumber: typeof x.chunk_number === 'number' ? x.chunk_number : -1, values: await mergedChunk(io, x)});
	}
	const check = applyMergedPartitions(p.current, io.numPartitions, downloaded, {firstDownload: p.firstDownload});
	for (const r of check.rejected) io.log('warn', `merged chunk ${r.chunkNumber} of layer ${io.layer} rejected: ${r.reason}`);
	if (check.status === 'partial') io.log('warn', `only ${check.successPct.toFixed(0)} % of layer ${io.layer}'s merged chunks passed (90 % needed): weights kept as they were`);
	else if (check.status === 'applied') io.log('info', `merged weights of layer ${io.layer} loaded (${check.applied.length} of ${listed.length} chunks)`);
	let optimizerState: Uint16Array | null = null;
	if (p.newToLayer && io.flags.uploadOptimizerState) optimizerState = await layerOptimizerState(io, p.optimizerStateLength);
	return {status: check.status, weights: check.status === 'applied' ? check.weights : p.current, applied: check.applied, rejected: check.rejected, optimizerState};
}

async function layerOptimizerState(io: DilocoIo, expected: number | undefined): Promise<Uint16Array | null> {
	const s = await io.client.getLayerOptimizerState();
	if (!s.available || !s.optimizer_state_url) {
		io.log('info', `layer ${io.layer} has no optimizer state yet: the worker keeps its own`);
		return null;
	}
	try {
		const r = await fetchWeightsSection(s.optimizer_state_url, 0, fetcher(io));
		if (expected !== undefined && r.values.length !== expected) throw new UserError(`${r.values.length} values, the worker's state has ${expected}`);
		io.log('info', `optimizer state of layer ${io.layer} downloaded (${r.values.length} values)`);
		return r.values;
	} catch (error) {
		io.log('warn', `optimizer state of layer ${io.layer} not usable: ${errorMessage(error)}`);
		return null;
	}
}
