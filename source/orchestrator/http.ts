// A small HTTP transport on node:http(s): unlike fetch it can send a JSON body on a GET, as the
// v1 miner does for /storage/presigned_url.
import {request as httpRequest} from 'node:http';
import {request as httpsRequest} from 'node:https';

export interface HttpResponse {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	text: string;
}

export class TransportError extends Error {}

export function send(
	url: string,
	opts: {method: string; headers?: Record<string, string>; body?: string | Uint8Array; timeoutMs: number},
): Promise<HttpResponse> {
	const u = new URL(url);
	const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
	const headers: Record<string, string | number> = {...opts.headers};
	if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
	return new Promise((resolve, reject) => {
		const req = request(u, {method: opts.method, headers}, res => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8')}));
			res.on('error', e => reject(new TransportError(e.message)));
		});
		req.setTimeout(opts.timeoutMs, () => req.destroy(new TransportError(`timed out after ${opts.timeoutMs} ms`)));
		req.on('error', e => reject(e instanceof TransportError ? e : new TransportError(e.message)));
		req.end(opts.body);
	});
}
