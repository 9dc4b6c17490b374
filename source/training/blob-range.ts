// Reads parts of a blob through a presigned GET URL with HTTP Range: header, then trailer, then one section or region,
// as IOTA's merger does, so a miner never downloads whole weight files from its peers.
import {UserError} from '../errors.js';
import {bytesToBf16} from './bf16.js';
import {
	BLOB_HEADER_LEN,
	MAX_TRAILER_BYTES,
	decodeTrailer,
	parseHeader,
	sectionOf,
	validatePartitionTrailer,
	validateWeightsTrailer,
	type BlobSection,
	type PartitionTrailer,
	type WeightsTrailer,
} from './blob.js';

export type FetchLike = (url: string, init: {headers: Record<string, string>}) => Promise<Response>;

/** GET bytes [start, end] (inclusive) and insist on a 206 with exactly that range; returns the bytes and the object size. */
export async function rangedGet(url: string, start: number, end: number, fetchFn: FetchLike = fetch): Promise<{bytes: Uint8Array; size: number}> {
	const r = await fetchFn(url, {headers: {Range: `bytes=${start}-${end}`}});
	if (r.status !== 206) {
		await r.body?.cancel();
		throw new UserError(r.status === 200 ? 'object store ignored the Range header' : `ranged GET failed: HTTP ${r.status}`);
	}
	const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(r.headers.get('content-range') ?? '');
	if (!m || Number(m[1]) !== start || Number(m[2]) !== end) {
		await r.body?.cancel();
		throw new UserError(`ranged GET returned range ${r.headers.get('content-range') ?? 'none'}, asked for ${start}-${end}`);
	}
	const bytes = new Uint8Array(await r.arrayBuffer());
	if (bytes.length !== end - start + 1) throw new UserError(`ranged GET returned ${bytes.length} bytes, expected ${end - start + 1}`);
	return {bytes, size: Number(m[3])};
}

export type RemoteTrailer = {trailerOffset: number; size: number; trailer: Record<string, unknown>};

/** Header (12 bytes) then trailer; the size from Content-Range bounds the trailer before it is fetched. */
export async function fetchTrailer(url: string, fetchFn: FetchLike = fetch): Promise<RemoteTrailer> {
	const head = await rangedGet(url, 0, BLOB_HEADER_LEN - 1, fetchFn);
	const trailerOffset = parseHeader(head.bytes);
	if (trailerOffset >= head.size) throw new UserError(`bad blob: trailer offset ${trailerOffset} is past the end (${head.size} bytes)`);
	if (head.size - trailerOffset > MAX_TRAILER_BYTES) throw new UserError(`bad blob: trailer is ${head.size - trailerOffset} bytes, more than ${MAX_TRAILER_BYTES}`);
	const tail = await rangedGet(url, trailerOffset, head.size - 1, fetchFn);
	return {trailerOffset, size: head.size, trailer: decodeTrailer(tail.bytes)};
}

export async function fetchWeightsTrailer(url: string, fetchFn: FetchLike = fetch): Promise<WeightsTrailer> {
	const t = await fetchTrailer(url, fetchFn);
	return validateWeightsTrailer(t.trailer, t.trailerOffset);
}

export async function fetchPartitionTrailer(url: string, fetchFn: FetchLike = fetch): Promise<PartitionTrailer> {
	const t = await fetchTrailer(url, fetchFn);
	return validatePartitionTrailer(t.trailer, t.trailerOffset);
}

async function bf16Range(url: string, start: number, endExclusive: number, fetchFn: FetchLike): Promise<Uint16Array> {
	if (endExclusive === start) return new Uint16Array(0);
	return bytesToBf16((await rangedGet(url, start, endExclusive - 1, fetchFn)).bytes);
}

/** One section's bf16 values, with the section bounds they came from. */
export async function fetchWeightsSection(url: string, index: number, fetchFn: FetchLike = fetch): Promise<{section: BlobSection; values: Uint16Array; trailer: WeightsTrailer}> {
	const trailer = await fetchWeightsTrailer(url, fetchFn);
	const section = sectionOf(trailer, index);
	return {section, trailer, values: await bf16Range(url, section.start_byte, section.end_byte, fetchFn)};
}

/** One region ("weights" or "optimizer_state") of a partition blob. */
export async function fetchPartitionRegion(url: string, region: 'weights' | 'optimizer_state', fetchFn: FetchLike = fetch): Promise<{trailer: PartitionTrailer; values: Uint16Array}> {
	const trailer = await fetchPartitionTrailer(url, fetchFn);
	const r = trailer.regions[region];
	return {trailer, values: await bf16Range(url, r.offset, r.offset + r.length, fetchFn)};
}
