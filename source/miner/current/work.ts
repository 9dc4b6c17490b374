// Getting work in the current protocol: the layer's phase from the heartbeat, then pushed backwards first,
// pushed forwards next, and on layer 0 sample texts from get_activations (tokenized with BOS to [B, S]).
import {UserError} from '../../errors.js';
import {LayerStateError} from '../../orchestrator/current/errors.js';
import type {ActivationResponse} from '../../orchestrator/current/schemas.js';
import {download} from '../../orchestrator/transfer.js';
import {blake3Hex} from '../../p2p/hash.js';
import {decodeSampleText, sampleToBatch} from '../../training/head-data.js';
import {int32Ids} from '../../training/text-samples.js';
import {encodeWire} from '../../training/wire.js';
import type {FetchTensor, Work} from '../protocol.js';
import type {Phase} from '../types.js';
import type {Pushed} from './ledger.js';
import {batchShape, type CurrentLink} from './link.js';

const PHASES: Record<string, Phase> = {training: 'is_training', weights_uploading: 'weights_uploading', merging_partitions: 'miners_merging_partitions'};
/** A phase heard this recently is not asked again before the next item (IOTA's tick is ~1 s). */
const PHASE_FRESH_MS = 1000;
/** IOTA's layer-0 fetch loop waits 0.51 s between get_activations calls. */
const SAMPLE_EVERY_MS = 510;
/** A sample text is B*S tokens of a few bytes each; anything far larger is refused. */
const MAX_SAMPLE_BYTES = 16 * 1024 * 1024;

/** The heartbeat: the layer's phase and the run's epoch. Leaving training drops the work in hand. */
export async function heartbeat(link: CurrentLink): Promise<NonNullable<CurrentLink['phase']>> {
	const hb = await link.client.heartbeat();
	link.host.heartbeat();
	const phase = PHASES[hb.phase];
	if (!phase) throw new UserError(`the orchestrator reports an unknown phase "${hb.phase.slice(0, 40)}"`);
	if (phase !== 'is_training' && link.phase?.phase === 'is_training') link.ledger.clear();
	link.p2p?.setTraining(phase === 'is_training');
	link.phase = {phase, raw: hb.phase, epoch: hb.epoch, at: Date.now()};
	return link.phase;
}

export async function nextWork(link: CurrentLink): Promise<Work> {
	const {host, ledger} = link;
	const known = link.phase && Date.now() - link.phase.at < PHASE_FRESH_MS ? link.phase : await heartbeat(link);
	if (known.phase !== 'is_training') return {kind: 'merge', phase: known.phase};
	const phase: Phase = 'is_training';
	const b = ledger.backwards.shift();
	if (b) return backwardWork(link, b);
	const f = ledger.forwards.shift();
	if (f) return forwardWork(link, f);
	if (host.layer !== 0) {
		host.waiting(`activations from layer ${host.layer - 1} (P2P push)`);
		return {kind: 'idle', cacheFull: false, phase};
	}
	try {
		return await sampleWork(link);
	} catch (error) {
		// The layer moved on between the heartbeat and the request: the merge sequence takes over.
		if (!(error instanceof LayerStateError)) throw error;
		link.phase = null;
		return {kind: 'merge'};
	}
}

const held = (bytes: Uint8Array): FetchTensor => async maxBytes => {
	if (bytes.length > maxBytes) throw new UserError(`pushed tensor of ${bytes.length} bytes is over the ${maxBytes}-byte cap`);
	return bytes;
};

function backwardWork(link: CurrentLink, b: Pushed): Work {
	const r = link.ledger.get(b.id);
	if (!r) return {kind: 'unusable', phase: 'is_training'};
	r.backwardInput = b.hash;
	return {kind: 'backward', id: b.id, input: held(b.bytes), phase: 'is_training'};
}

function forwardWork(link: CurrentLink, f: Pushed): Work {
	const {host} = link;
	const last = host.layer === (link.run?.model_metadata.n_splits ?? link.o.model.splits.length) - 1;
	link.ledger.put({id: f.id, at: Date.now(), forwardInput: f.hash, sourceNodeIds: f.sourceNodeIds.length > 0 ? f.sourceNodeIds : [f.from], samplePath: f.samplePath, spot: null, awaitingBackward: false});
	// The last layer's targets are the sample text itself, named by layer 0 and passed along with the push.
	const targets = last && f.samplePath ? () => sampleTokens(link, f.samplePath!) : undefined;
	return {kind: 'forward', id: f.id, input: held(f.bytes), targets, phase: 'is_training'};
}

/** Layer 0: a sample in hand, or up to min(room, 2) new ones from get_activations. */
async function sampleWork(link: CurrentLink): Promise<Work> {
	const {ledger, host} = link;
	const phase: Phase = 'is_training';
	if (ledger.samples.length === 0) {
		const cacheMax = link.run?.model_metadata.activation?.max_activation_cache_size ?? 4;
		const room = cacheMax + 1 - ledger.outstanding(Date.now());
		if (room <= 0) return {kind: 'idle', cacheFull: true, phase};
		if (Date.now() - ledger.lastAsk < SAMPLE_EVERY_MS) return {kind: 'idle', cacheFull: false, phase};
		ledger.lastAsk = Date.now();
		host.waiting('samples (get_activations)');
		const got = await link.client.getActivations(Math.min(room, 2));
		host.heartbeat();
		ledger.samples.push(...got.filter(a => a.direction === 'forward' && a.activation_id && a.presigned_download_url));
	}
	const a = ledger.samples.shift();
	if (!a) {
		host.waiting('samples from the orchestrator');
		return {kind: 'idle', cacheFull: false, phase};
	}
	return sampleItem(link, a);
}

function sampleItem(link: CurrentLink, a: ActivationResponse): Work {
	const id = a.activation_id!;
	const spotUrl = a.presigned_upload_url?.[0];
	const record = {id, at: Date.now(), sourceNodeIds: [], samplePath: a.target_download_url ?? a.presigned_download_url!, spot: spotUrl && a.activation_upload_path ? {url: spotUrl, path: a.activation_upload_path} : null, awaitingBackward: false};
	link.ledger.put(record);
	const tokens: FetchTensor = async () => {
		const bytes = await sampleTokens(link, a.presigned_download_url!);
		// Layer 0's input hash: the token ids as it sends them on the wire (no producer checks it).
		const hash = await blake3Hex(bytes);
		const r = link.ledger.get(id);
		if (r) r.forwardInput = hash;
		return bytes;
	};
	return {kind: 'sample', id, tokens, phase: 'is_training'};
}

/** A sample text -> [B, S] token ids with BOS (as IOTA's head), as torch.save int64 bytes. */
async function sampleTokens(link: CurrentLink, url: string): Promise<Uint8Array> {
	const text = decodeSampleText(await download(url, undefined, link.xfer(MAX_SAMPLE_BYTES)));
	const {size, seqLen} = batchShape(link);
	const ids = int32Ids(sampleToBatch(text, link.o.tokenizer, size, seqLen));
	return encodeWire({dtype: 'int32', shape: [size, seqLen], data: ids.buffer as ArrayBuffer});
}
