// Moving bytes through the orchestrator's presigned URLs: upload (single or multipart, as v1's
// smart_upload_via_orchestrator) and download with an optional Range. Miners hold no credentials.
import type {OrchestratorClient} from './client.js';

export interface TransferOptions {
	timeoutMs?: number;
	attempts?: number;
	backoffMs?: number;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function withRetries<T>(what: string, o: TransferOptions, fn: () => Promise<T>): Promise<T> {
	const attempts = o.attempts ?? 3;
	let lastError: unknown;
	for (let i = 1; i <= attempts; i++) {
		try {
			return await fn();
		} catch (error) {
			lastError = error;
			if ((error as {retriable?: boolean}).retriable === false) break;
			if (i < attempts) await sleep((o.backoffMs ?? 1000) * 2 ** (i - 1));
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

/** PUT bytes to a presigned URL; returns the ETag. */
export function putPresigned(url: string, data: Uint8Array, o: TransferOptions = {}): Promise<string> {
	return withRetries('upload', o, async () => {
		const res = await fetch(url, {method: 'PUT', body: data as unknown as BodyInit, signal: AbortSignal.timeout(o.timeoutMs ?? 300_000)});
		if (!res.ok) throw new HttpStatusError(res.status, `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
		return res.headers.get('etag') ?? '';
	});
}

/** GET a presigned URL; `range` is [start, end) in bytes (sent as bytes=start-(end-1)). */
export function download(url: string, range?: {start: number; end: number}, o: TransferOptions = {}): Promise<Uint8Array> {
	return withRetries('download', o, async () => {
		const headers: Record<string, string> = range ? {Range: `bytes=${range.start}-${range.end - 1}`} : {};
		const res = await fetch(url, {headers, signal: AbortSignal.timeout(o.timeoutMs ?? 300_000)});
		if (!res.ok) throw new HttpStatusError(res.status, `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
		const bytes = new Uint8Array(await res.arrayBuffer());
		if (range && (res.status !== 206 || bytes.length !== range.end - range.start)) {
			throw new HttpStatusError(400, `range ${range.start}-${range.end} not honoured (HTTP ${res.status}, ${bytes.length} bytes)`);
		}
		return bytes;
	});
}

/** Uploads `data` to storage key `path` through the orchestrator; returns the stored key. */
export async function uploadObject(client: OrchestratorClient, path: string, data: Uint8Array, partSize = 100 * 1024 * 1024, o: TransferOptions = {}): Promise<string> {
	const init = await client.initiateUpload({path, file_size: data.length, part_size: partSize, expires_in: 3600});
	if (!init.data.use_multipart) {
		await putPresigned(init.data.presigned_data, data, o);
		return path;
	}
	const {multipart_data: mp, part_size: size} = init.data;
	const parts = [];
	for (let i = 0; i < mp.part_numbers.length; i++) {
		const chunk = data.subarray(i * size, Math.min(data.length, (i + 1) * size));
		parts.push({PartNumber: mp.part_numbers[i]!, ETag: await putPresigned(mp.presigned_urls[i]!.url, chunk, o)});
	}
	return (await client.completeUpload({path, upload_id: mp.upload_id, parts})).data.s3_path;
}
