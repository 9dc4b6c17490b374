// v1 merging: average the assigned chunks of every submitter's weights and optimizer state
// (Range-downloaded sections, weighted), upload the merged chunks, and splice merged partitions back.
import {randomUUID} from 'node:crypto';
import {UserError, errorMessage} from '../../errors.js';
import {WrongPhaseError} from '../../orchestrator/client.js';
import type {Partition, SubmittedWeights} from '../../orchestrator/schemas.js';
import {download} from '../../orchestrator/transfer.js';
import {applySection, bf16ToBytes, bytesToBf16, getSection, mergeSection, parseMetadata, vectorMetadata, type Section} from '../../training/bf16.js';
import {MAX_METADATA_BYTES, maxVectorBytes} from '../guards.js';
import type {MergedLayer, MergeRound} from '../protocol.js';
import type {V1Link} from './link.js';
import {json} from './uploads.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

export async function mergeRound(link: V1Link, p: {epoch: number; numParams: number}): Promise<MergeRound | null> {
	link.host.waiting('get_chunks_for_miner');
	let subs, chunks;
	try {
		[subs, chunks] = await link.client.chunksForMiner();
	} catch (error) {
		if (error instanceof WrongPhaseError) return null;
		throw error;
	}
	const partitions: Partition[] = [];
	return {
		chunks,
		sources: subs.map(s => ({hotkey: s.hotkey, weight: s.weighting_factor})),
		mergeChunk: async chunk => {
			const merged = await mergeChunk(link, subs, chunk, p);
			if (!merged) return null;
			partitions.push(merged.partition);
			return merged.ids;
		},
		publish: () => publish(link, partitions),
	};
}

type Sections = {w: Uint16Array[]; o: Uint16Array[]; factors: number[]; ws: Section | null; os: Section | null};

/** Each submitter's section `chunk` of weights and optimizer state; one with another layout is left out. */
async function fetchSections(link: V1Link, subs: SubmittedWeights[], chunk: number, numParams: number): Promise<Sections> {
	const {host, xfer} = link;
	const r: Sections = {w: [], o: [], factors: [], ws: null, os: null};
	for (const s of subs) {
		try {
			host.waiting(`section ${chunk} from ${s.hotkey.slice(0, 8)}`);
			const wm = parseMetadata(JSON.parse(text(await download(s.weight_metadata_path, undefined, xfer(MAX_METADATA_BYTES)))));
			const om = parseMetadata(JSON.parse(text(await download(s.optimizer_state_metadata_path, undefined, xfer(MAX_METADATA_BYTES)))));
			const a = getSection(wm, chunk);
			const b = getSection(om, chunk);
			if ((r.ws && (a.start_idx !== r.ws.start_idx || a.end_idx !== r.ws.end_idx)) || (r.os && (b.start_idx !== r.os.start_idx || b.end_idx !== r.os.end_idx))) {
				host.log('warn', `section ${chunk} of ${s.hotkey.slice(0, 8)} has another layout: left out`);
				continue;
			}
			const cap = xfer(maxVectorBytes(numParams));
			const wb = bytesToBf16(await download(s.weights_path, {start: a.start_byte, end: a.end_byte}, cap));
			const ob = bytesToBf16(await download(s.optimizer_state_path, {start: b.start_byte, end: b.end_byte}, cap));
			[r.ws, r.os] = [a, b];
			r.w.push(wb);
			r.o.push(ob);
			r.factors.push(s.weighting_factor);
		} catch (error) {
			host.log('warn', `section ${chunk} of ${s.hotkey.slice(0, 8)} not usable: ${errorMessage(error)}`);
		}
	}
	return r;
}

async function mergeChunk(link: V1Link, subs: SubmittedWeights[], chunk: number, p: {epoch: number; numParams: number}) {
	const {host} = link;
	const {w, o, factors, ws, os} = await fetchSections(link, subs, chunk, p.numParams);
	if (!ws || !os || w.length === 0) return null;
	const mw = mergeSection(w, factors);
	const mo = mergeSection(o, factors);
	const key = (kind: string, ext: string) => `${kind}/${host.hotkey}/1/${p.epoch}/${randomUUID()}.${ext}`;
	const k = {w: key('weights', 'bin'), wm: key('metadata/weights', 'json'), o: key('optimizer_state', 'bin'), om: key('metadata/optimizer_state', 'json')};
	const ids = [
		await host.enqueue(k.w, 'partition', bf16ToBytes(mw)),
		await host.enqueue(k.wm, 'metadata', json(vectorMetadata(mw.length, 1))),
		await host.enqueue(k.o, 'partition', bf16ToBytes(mo)),
		await host.enqueue(k.om, 'metadata', json(vectorMetadata(mo.length, 1))),
	];
	const data = (s: Section) => ({chunk_start_idx: s.start_idx, chunk_end_idx: s.end_idx, chunk_start_byte: s.start_byte, chunk_end_byte: s.end_byte, chunk_dtype: 'bfloat16', chunk_length: s.end_idx - s.start_idx});
	const partition: Partition = {layer: host.layer, chunk_number: chunk, miner_hotkey: host.hotkey, weight_path: k.w, weight_metadata_path: k.wm, optimizer_state_path: k.o, optimizer_state_metadata_path: k.om, weight_data: data(ws), optimizer_state_data: data(os)};
	return {ids, partition};
}

async function publish(link: V1Link, partitions: Partition[]): Promise<string | null> {
	try {
		link.host.waiting('notify_merged_partitions_uploaded');
		const r = await link.client.notifyMergedPartitions(partitions);
		link.host.heartbeat();
		return r.message;
	} catch (error) {
		if (error instanceof WrongPhaseError) {
			link.host.log('info', 'merged partitions not needed: the layer already has enough');
			return null;
		}
		throw error;
	}
}

export async function mergedLayer(link: V1Link, layer: number): Promise<MergedLayer | null> {
	const parts = await link.client.layerWeights(layer);
	link.host.heartbeat();
	if (parts.length === 0) return null;
	return {parts: parts.length, apply: (w, o) => applyParts(link, parts, w, o)};
}

async function applyParts(link: V1Link, parts: Partition[], w: Uint16Array, o: Uint16Array): Promise<void> {
	const apply = (vec: Uint16Array, d: Partition['weight_data'], bytes: Uint8Array) => {
		if (d.chunk_end_idx > vec.length || bytes.length !== 2 * (d.chunk_end_idx - d.chunk_start_idx)) throw new UserError(`partition does not fit this model (${bytes.length} bytes for [${d.chunk_start_idx}, ${d.chunk_end_idx}) of ${vec.length})`);
		applySection(vec, {start_idx: d.chunk_start_idx, end_idx: d.chunk_end_idx, start_byte: d.chunk_start_byte, end_byte: d.chunk_end_byte}, bytesToBf16(bytes));
	};
	// A partition is exactly its chunk's bf16 bytes: that is also the most a download may bring.
	const fetchChunk = (path: string, d: Partition['weight_data'], vec: Uint16Array) => {
		const bytes = 2 * (d.chunk_end_idx - d.chunk_start_idx);
		if (!(d.chunk_start_idx >= 0 && d.chunk_end_idx <= vec.length && bytes > 0)) throw new UserError(`partition [${d.chunk_start_idx}, ${d.chunk_end_idx}) does not fit this model (${vec.length} values)`);
		return download(path, undefined, link.xfer(bytes));
	};
	for (const p of parts) {
		apply(w, p.weight_data, await fetchChunk(p.weight_path, p.weight_data, w));
		apply(o, p.optimizer_state_data, await fetchChunk(p.optimizer_state_path, p.optimizer_state_data, o));
	}
}
