// Moving spec-30017 blobs through the store: uploads named by the orchestrator (initiate_file_upload,
// presigned part PUTs, complete_multipart_upload), and ranged GETs of presigned URLs for the blob readers
// of training/blob-range.ts, with the same URL checks, size caps and deadlines as orchestrator/transfer.ts.
import {UserError} from '../../errors.js';
import type {CurrentClient} from '../../orchestrator/current/client.js';
import type * as S from '../../orchestrator/current/schemas.js';
import {send, TransportError} from '../../orchestrator/http.js';
import {abortableSleep} from '../../orchestrator/sleep.js';
import {checkPresignedUrl, MAX_DOWNLOAD, MAX_PARTS, putPresigned, TransferRefused, type TransferOptions} from '../../orchestrator/transfer.js';
import type {FetchLike} from '../../training/blob-range.js';
import {trackUpload, type OnUpload} from './upload-track.js';

/** IOTA's part size (s3_utils): ceil(bytes / 10 MiB) parts. */
export const UPLOAD_PART_BYTES = 10 * 1024 * 1024;
/** IOTA PUTs 16 parts at once. */
export const UPLOAD_PARALLEL_PARTS = 16;

export type UploadBlobOptions = {
	/** Bytes per part (default 10 MiB; smaller only in tests). */
	partBytes?: number;
	/** Parts in flight at once (default 16). */
	parallel?: number;
	/** Told of the upload as an UploadItem (uploading, then done or failed). */
	onUpload?: OnUpload;
};

/** S3 wants the ETag back as it gave it; IOTA's client sends it without the quotes (the store adds them back). */
const unquoted = (etag: string) => etag.replace(/^"+|"+$/g, '');

/**
 * Uploads one blob as `fileType`: initiate_file_upload with ceil(bytes / 10 MiB) parts (at most 10,000), the parts
 * PUT to their presigned URLs a few at a time, then complete_multipart_upload with the unquoted ETags when the
 * orchestrator opened a multipart upload (an upload_id). Returns the object path submit_* calls take.
 */
export async function uploadBlob(client: CurrentClient, fileType: S.FileUploadRequest['file_type'], bytes: Uint8Array, xfer: TransferOptions, o: UploadBlobOptions = {}): Promise<string> {
	// The store key is the orchestrator's to name: shown as the file type until it is known.
	return trackUpload(o.onUpload, fileType, fileType, bytes.length, () => uploadParts(client, fileType, bytes, xfer, o), path => path);
}

async function uploadParts(client: CurrentClient, fileType: S.FileUploadRequest['file_type'], bytes: Uint8Array, xfer: TransferOptions, o: UploadBlobOptions): Promise<string> {
	if (bytes.length === 0) throw new UserError(`refusing to upload an empty ${fileType} blob`);
	const partBytes = o.partBytes ?? UPLOAD_PART_BYTES;
	const parts = Math.ceil(bytes.length / partBytes);
	if (parts > MAX_PARTS) throw new UserError(`${fileType} blob of ${bytes.length} bytes needs ${parts} parts, more than ${MAX_PARTS}`);
	const init = await client.initiateFileUpload({num_parts: parts, file_type: fileType, multipart: true});
	const multipart = Boolean(init.upload_id);
	if (init.urls.length !== (multipart ? parts : 1) || (!multipart && parts !== 1)) {
		throw new TransferRefused(`initiate_file_upload gave ${init.urls.length} URL(s)${multipart ? '' : ' and no upload_id'} for ${parts} part(s)`);
	}
	for (const url of init.urls) checkPresignedUrl(url, xfer.allowHosts);
	if (!multipart) {
		await putPresigned(init.urls[0]!, bytes, xfer);
		return init.object_name;
	}
	const etags: string[] = new Array<string>(parts);
	let next = 0;
	const worker = async () => {
		while (next < parts) {
			const i = next++;
			const etag = unquoted(await putPresigned(init.urls[i]!, bytes.subarray(i * partBytes, Math.min(bytes.length, (i + 1) * partBytes)), xfer));
			if (!etag) throw new TransferRefused(`part ${i + 1} of ${init.object_name} came back without an ETag`);
			etags[i] = etag;
		}
	};
	await Promise.all(Array.from({length: Math.min(parts, Math.max(1, o.parallel ?? UPLOAD_PARALLEL_PARTS))}, worker));
	const done = await client.completeMultipartUpload({object_name: init.object_name, upload_id: init.upload_id, parts: etags.map((ETag, i) => ({PartNumber: i + 1, ETag}))});
	return done.object_path;
}

/** The byte count a `Range: bytes=a-b` header asks for, or null without one. */
function rangeLength(headers: Record<string, string>): number | null {
	const raw = Object.entries(headers).find(([k]) => k.toLowerCase() === 'range')?.[1];
	if (raw === undefined) return null;
	const m = /^bytes=(\d+)-(\d+)$/.exec(raw);
	if (!m || Number(m[2]) < Number(m[1])) throw new TransferRefused(`range "${raw}" is not a byte range`);
	return Number(m[2]) - Number(m[1]) + 1;
}

/**
 * A fetch for training/blob-range.ts that only GETs presigned store URLs: allowed hosts, no redirects, the reply
 * capped at the asked range (and xfer.maxBytes), deadlines that grow with the bytes, retries on 5xx/429/network
 * errors, and the stop signal. The reply comes back as a Response so blob-range can check its 206 and Content-Range.
 */
export function storeFetch(xfer: TransferOptions): FetchLike {
	return async (url, init) => {
		const u = checkPresignedUrl(url, xfer.allowHosts);
		const asked = rangeLength(init.headers);
		const cap = asked ?? xfer.maxBytes ?? MAX_DOWNLOAD;
		if (xfer.maxBytes !== undefined && cap > xfer.maxBytes) throw new TransferRefused(`range of ${cap} bytes is over the ${xfer.maxBytes}-byte limit`);
		const attempts = Math.max(1, xfer.attempts ?? 3);
		let last: unknown;
		for (let i = 0; i < attempts; i++) {
			if (i > 0) await abortableSleep((xfer.backoffMs ?? 1000) * 2 ** (i - 1), xfer.signal, () => new TransferRefused('stopped'));
			try {
				const res = await send(u.href, {method: 'GET', headers: init.headers, timeoutMs: xfer.idleMs ?? 30_000, deadlineMs: xfer.timeoutMs ?? 60_000 + Math.ceil(cap / 256), maxBytes: cap, signal: xfer.signal});
				if (res.status >= 300 && res.status < 400) throw new TransferRefused(`store answered a redirect (HTTP ${res.status}): not followed`);
				if (res.status >= 500 || res.status === 429) {
					last = new Error(`HTTP ${res.status}`);
					continue;
				}
				const headers = new Headers();
				for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
				return new Response(res.bytes.length ? (res.bytes as Uint8Array<ArrayBuffer>) : null, {status: res.status, headers});
			} catch (error) {
				if (error instanceof TransferRefused || (error instanceof TransportError && !error.retriable) || xfer.signal?.aborted) throw error;
				last = error;
			}
		}
		throw new Error(`GET ${u.hostname}${u.pathname.slice(0, 80)} failed: ${(last as Error).message}`);
	};
}
