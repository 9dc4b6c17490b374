// Moving bytes through the orchestrator's presigned URLs: upload (single or multipart, as v1's
// smart_upload_via_orchestrator) and download with an optional Range. Miners hold no credentials.
// A presigned URL is checked before use (http(s) on an allowed host), redirects are refused,
// replies are capped while read, and every attempt has an overall deadline.
import {abortableSleep} from './sleep.js';
import type {OrchestratorClient} from './client.js';
import {send, TransportError} from './http.js';

export interface TransferOptions {
	/** Overall deadline of one attempt; default grows with the bytes moved (60 s + 256 KB/s). */
	timeoutMs?: number;
	/** Longest silence on the socket. */
	idleMs?: number;
	attempts?: number;
	backoffMs?: number;
	/** Largest download accepted (default 64 MB); a Range download is capped at its length. */
	maxBytes?: number;
	/** Hostnames presigned URLs may point at; unset: any http(s) host. */
	allowHosts?: readonly string[];
	signal?: AbortSignal;
	/** Told whether the store answered: false on a connection failure, true on a success (a lost link shows). */
	onLink?: (ok: boolean, detail: string) => void;
}

/** A reply or URL the miner refuses to act on; trying again cannot help. */
export class TransferRefused extends Error {
	readonly retriable = false;
}

export const MAX_DOWNLOAD = 64 * 1024 * 1024;
export const MAX_PARTS = 10_000; // S3's own limit
const MIN_PART = 5 * 1024 * 1024; // S3: every part but the last

const deadlineFor = (bytes: number, o: TransferOptions) => o.timeoutMs ?? 60_000 + Math.ceil(bytes / 256);

const sleep = (ms: number, signal?: AbortSignal) => abortableSleep(ms, signal, () => new TransferRefused('stopped'));

async function withRetries<T>(what: string, o: TransferOptions, fn: () => Promise<T>): Promise<T> {
	const attempts = o.attempts ?? 3;
	let lastError: unknown;
	for (let i = 1; i <= attempts; i++) {
		try {
			const result = await fn();
			o.onLink?.(true, '');
			return result;
		} catch (error) {
			lastError = error;
			if (error instanceof TransportError && error.retriable) o.onLink?.(false, error.message);
			if ((error as {retriable?: boolean}).retriable === false || o.signal?.aborted) break;
			if (i < attempts) await sleep((o.backoffMs ?? 1000) * 2 ** (i - 1), o.signal);
		}
	}
	throw new Error(`${what} failed: ${(lastError as Error).message}`);
}

class HttpStatusError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
	get retriable(): boolean {
		return this.status >= 500 || this.status === 429;
	}
}

/** Throws TransferRefused unless `raw` is an http(s) URL on an allowed host. */
export function checkPresignedUrl(raw: string, allowHosts?: readonly string[]): URL {
	let u: URL;
	try {
		u = new URL(raw);
	} catch {
		throw new TransferRefused(`presigned URL "${raw.slice(0, 60)}" is not a URL`);
	}
	if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TransferRefused(`presigned URL uses ${u.protocol}: only http(s) URLs are used`);
	if (u.username || u.password) throw new TransferRefused('presigned URL carries credentials: refused');
	if (allowHosts && !allowHosts.includes(u.hostname)) throw new TransferRefused(`presigned URL points at ${u.hostname}, not the store (${allowHosts.join(', ')}): refused`);
	return u;
}

function checkStatus(res: {status: number; text: string; headers: Record<string, unknown>}): void {
	if (res.status >= 300 && res.status < 400) throw new TransferRefused(`store answered a redirect (HTTP ${res.status} to ${String(res.headers.location ?? '?').slice(0, 80)}): not followed`);
	if (res.status < 200 || res.status >= 300) throw new HttpStatusError(res.status, `HTTP ${res.status} ${res.text.slice(0, 200).replace(/\s+/g, ' ')}`);
}

const transportRetry = (error: unknown) => (error instanceof TransportError && !error.retriable ? new TransferRefused(error.message) : error);

/** PUT bytes to a presigned URL; returns the ETag. */
export function putPresigned(url: string, data: Uint8Array, o: TransferOptions = {}): Promise<string> {
	return withRetries('upload', o, async () => {
		const u = checkPresignedUrl(url, o.allowHosts);
		const res = await send(u.href, {method: 'PUT', body: data, timeoutMs: o.idleMs ?? 30_000, deadlineMs: deadlineFor(data.length, o), maxBytes: 64 * 1024, signal: o.signal}).catch(e => {
			throw transportRetry(e);
		});
		checkStatus(res);
		const etag = res.headers.etag;
		return typeof etag === 'string' ? etag : '';
	});
}

/** GET a presigned URL; `range` is [start, end) in bytes (sent as bytes=start-(end-1)). */
export function download(url: string, range?: {start: number; end: number}, o: TransferOptions = {}): Promise<Uint8Array> {
	return withRetries('download', o, async () => {
		const u = checkPresignedUrl(url, o.allowHosts);
		if (range && !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.end > range.start)) {
			throw new TransferRefused(`range ${range.start}-${range.end} is not a byte range`);
		}
		const maxBytes = range ? range.end - range.start : (o.maxBytes ?? MAX_DOWNLOAD);
		if (range && o.maxBytes !== undefined && maxBytes > o.maxBytes) throw new TransferRefused(`range of ${maxBytes} bytes is over the ${o.maxBytes}-byte limit`);
		const headers: Record<string, string> = range ? {Range: `bytes=${range.start}-${range.end - 1}`} : {};
		const res = await send(u.href, {method: 'GET', headers, timeoutMs: o.idleMs ?? 30_000, deadlineMs: deadlineFor(maxBytes, o), maxBytes, signal: o.signal}).catch(e => {
			throw transportRetry(e);
		});
		checkStatus(res);
		if (range && (res.status !== 206 || res.bytes.length !== range.end - range.start)) {
			throw new HttpStatusError(400, `range ${range.start}-${range.end} not honoured (HTTP ${res.status}, ${res.bytes.length} bytes)`);
		}
		return res.bytes;
	});
}

type MultipartPlan = {part_size: number; total_parts: number; multipart_data: {presigned_urls: {url: string}[]; part_numbers: number[]}};

/** Why a multipart plan does not fit `fileSize` bytes, or null when it does. */
export function multipartPlanProblem(fileSize: number, plan: MultipartPlan): string | null {
	const {part_size: size, total_parts: total, multipart_data: mp} = plan;
	if (!Number.isSafeInteger(size) || size < 1) return `part size ${size} is not a positive integer`;
	if (!Number.isSafeInteger(total) || total < 1 || total > MAX_PARTS) return `${total} parts (at most ${MAX_PARTS})`;
	if (total !== Math.ceil(fileSize / size)) return `${total} parts of ${size} bytes do not make ${fileSize} bytes`;
	if (total > 1 && size < MIN_PART) return `parts of ${size} bytes are under S3's 5 MB minimum`;
	if (mp.presigned_urls.length !== total || mp.part_numbers.length !== total) return `${mp.presigned_urls.length} URLs and ${mp.part_numbers.length} part numbers for ${total} parts`;
	if (mp.part_numbers.some((n, i) => n !== i + 1)) return 'part numbers are not 1..n in order';
	return null;
}

/** Uploads `data` to storage key `path` through the orchestrator; returns the stored key. */
export async function uploadObject(client: OrchestratorClient, path: string, data: Uint8Array, partSize = 100 * 1024 * 1024, o: TransferOptions = {}): Promise<string> {
	const init = await client.initiateUpload({path, file_size: data.length, part_size: partSize, expires_in: 3600});
	if (!init.data.use_multipart) {
		await putPresigned(init.data.presigned_data, data, o);
		return path;
	}
	const problem = multipartPlanProblem(data.length, init.data);
	if (problem) throw new TransferRefused(`multipart plan for ${path} refused: ${problem}`);
	for (const p of init.data.multipart_data.presigned_urls) checkPresignedUrl(p.url, o.allowHosts);
	const {multipart_data: mp, part_size: size} = init.data;
	const parts = [];
	for (let i = 0; i < mp.part_numbers.length; i++) {
		const chunk = data.subarray(i * size, Math.min(data.length, (i + 1) * size));
		parts.push({PartNumber: mp.part_numbers[i]!, ETag: await putPresigned(mp.presigned_urls[i]!.url, chunk, o)});
	}
	return (await client.completeUpload({path, upload_id: mp.upload_id, parts})).data.s3_path;
}
