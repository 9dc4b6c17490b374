// A small HTTP transport on node:http(s): unlike fetch it can send a JSON body on a GET, as the
// v1 miner does for /storage/presigned_url. Every request has an idle timeout AND an overall
// deadline, every reply a size cap enforced while reading, and redirects are never followed.
import {request as httpRequest} from 'node:http';
import {request as httpsRequest} from 'node:https';

export interface HttpResponse {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	text: string;
	bytes: Uint8Array;
}

export class TransportError extends Error {
	/** False when trying again cannot help (the reply is too big, the caller stopped). */
	constructor(
		message: string,
		readonly retriable = true,
	) {
		super(message);
	}
}

export type SendOptions = {
	method: string;
	headers?: Record<string, string>;
	body?: string | Uint8Array;
	/** Longest silence on the socket. */
	timeoutMs: number;
	/** Longest the whole exchange may take, reply included (default: 3 x timeoutMs). */
	deadlineMs?: number;
	/** Largest reply body accepted; a bigger one is cut off and the socket destroyed. */
	maxBytes?: number;
	signal?: AbortSignal;
};

export const DEFAULT_MAX_REPLY = 1024 * 1024;

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 2 : 0)} MB`;

export function send(url: string, opts: SendOptions): Promise<HttpResponse> {
	const u = new URL(url);
	if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.reject(new TransportError(`refusing ${u.protocol} URL: only http(s) is spoken`, false));
	const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
	const headers: Record<string, string | number> = {...opts.headers};
	if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
	const maxBytes = opts.maxBytes ?? DEFAULT_MAX_REPLY;
	const deadlineMs = opts.deadlineMs ?? opts.timeoutMs * 3;
	return new Promise((resolve, reject) => {
		if (opts.signal?.aborted) return reject(new TransportError('stopped', false));
		let settled = false;
		const finish = (error: Error | null, value?: HttpResponse) => {
			if (settled) return;
			settled = true;
			clearTimeout(deadline);
			opts.signal?.removeEventListener('abort', onAbort);
			if (error) {
				req.destroy();
				reject(error);
			} else resolve(value!);
		};
		const onAbort = () => finish(new TransportError('stopped', false));
		const req = request(u, {method: opts.method, headers}, res => {
			const declared = Number(res.headers['content-length']);
			if (Number.isFinite(declared) && declared > maxBytes) {
				res.destroy();
				return finish(new TransportError(`reply of ${mb(declared)} is over the ${mb(maxBytes)} limit`, false));
			}
			const chunks: Buffer[] = [];
			let size = 0;
			res.on('data', (c: Buffer) => {
				size += c.length;
				if (size > maxBytes) {
					res.destroy();
					finish(new TransportError(`reply is over the ${mb(maxBytes)} limit (cut off)`, false));
				} else chunks.push(c);
			});
			res.on('end', () => {
				const body = Buffer.concat(chunks);
				finish(null, {status: res.statusCode ?? 0, headers: res.headers, bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), text: body.toString('utf8')});
			});
			res.on('error', e => finish(new TransportError(e.message)));
			res.on('close', () => finish(new TransportError('connection closed before the reply ended')));
		});
		const deadline = setTimeout(() => finish(new TransportError(`timed out after ${deadlineMs} ms (no complete reply)`)), deadlineMs);
		opts.signal?.addEventListener('abort', onAbort, {once: true});
		req.setTimeout(opts.timeoutMs, () => finish(new TransportError(`timed out after ${opts.timeoutMs} ms without data`)));
		req.on('error', e => finish(e instanceof TransportError ? e : new TransportError(e.message)));
		req.end(opts.body);
	});
}
