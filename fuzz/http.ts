// Raw HTTP for hostile requests: any method, headers and body (text, or `streamBytes` of filler
// streamed without ever being held in memory), one fresh connection each, and an answer deadline.
// The outcome is the status and detail, 'reset' (connection dropped without an answer) or 'hung'.
import {request} from 'node:http';

export type Outcome = {kind: 'answer'; status: number; detail: string} | {kind: 'reset'; error: string} | {kind: 'hung'};

export interface RawRequest {
	method: string;
	/** Path with its query string, sent as is (malformed escapes included). */
	path: string;
	headers?: Record<string, string>;
	body?: string;
	/** Stream this many bytes of filler as the body instead (chunked unless content-length is set). */
	streamBytes?: number;
	deadlineMs?: number;
	/** Updated with the body bytes handed to the socket so far (streamed bodies). */
	progress?: {sent: number};
}

const FILLER = Buffer.alloc(1 << 20, 'a');

export function send(base: string, r: RawRequest): Promise<Outcome> {
	const u = new URL(base);
	return new Promise(resolve => {
		let done = false;
		const finish = (o: Outcome) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			req.destroy();
			resolve(o);
		};
		const headers: Record<string, string | number> = {...r.headers};
		if (r.body !== undefined) headers['content-length'] ??= Buffer.byteLength(r.body);
		// Node sends a GET body unframed unless told: say chunked so the server sees a body.
		if (r.streamBytes !== undefined && headers['content-length'] === undefined) headers['transfer-encoding'] = 'chunked';
		const req = request({host: u.hostname, port: u.port, method: r.method, path: r.path, headers, agent: false}, res => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			const answer = () => finish({kind: 'answer', status: res.statusCode ?? 0, detail: detailOf(Buffer.concat(chunks).toString('utf8'))});
			res.on('end', answer);
			res.on('error', answer);
			res.on('close', answer);
		});
		const timer = setTimeout(() => finish({kind: 'hung'}), r.deadlineMs ?? 10_000);
		req.on('error', e => finish({kind: 'reset', error: e.message}));
		if (r.streamBytes === undefined) req.end(r.body);
		else void stream(req, r.streamBytes, () => done, r.progress ?? {sent: 0});
	});
}

/** Writes `total` filler bytes with backpressure; stops when the request is over. */
async function stream(req: ReturnType<typeof request>, total: number, over: () => boolean, progress: {sent: number}): Promise<void> {
	while (progress.sent < total && !over() && !req.destroyed) {
		const n = Math.min(FILLER.length, total - progress.sent);
		progress.sent += n;
		if (!req.write(n === FILLER.length ? FILLER : FILLER.subarray(0, n))) {
			await new Promise<void>(resolve => {
				const go = () => {
					req.off('drain', go);
					req.off('close', go);
					resolve();
				};
				req.on('drain', go);
				req.on('close', go);
			});
		}
	}
	if (!over() && !req.destroyed) req.end();
}

function detailOf(text: string): string {
	try {
		const j = JSON.parse(text) as {detail?: unknown; message?: unknown};
		return String(j.detail ?? j.message ?? text).slice(0, 300);
	} catch {
		return text.slice(0, 300);
	}
}
