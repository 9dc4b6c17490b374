// Raw HTTP for hostile requests: any method, headers and body (text, or `streamBytes` of filler
// streamed without ever being held in memory), one fresh connection each, and an answer deadline.
// The outcome is the status and detail, 'reset' (connection dropped without an answer) or 'hung'.
// An answer whose body is an application error ({error_name, error_dict}: the current protocol's
// refusals, sent with HTTP 200) carries its name, so a 200 can still be told from an acceptance.
import {request} from 'node:http';

export type Outcome = {kind: 'answer'; status: number; detail: string; errorName?: string} | {kind: 'reset'; error: string} | {kind: 'hung'};

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
			const answer = () => finish({kind: 'answer', status: res.statusCode ?? 0, ...readAnswer(Buffer.concat(chunks).toString('utf8'))});
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

/** The reason a reply gives: `detail` (a string, or nested: {message} / [{msg}]), `message`, or an error_dict's message. */
function readAnswer(text: string): {detail: string; errorName?: string} {
	let j: unknown;
	try {
		j = JSON.parse(text);
	} catch {
		return {detail: text.slice(0, 300)};
	}
	const o = (j && typeof j === 'object' ? j : {}) as {detail?: unknown; message?: unknown; error_name?: unknown; error_dict?: unknown};
	if (typeof o.error_name === 'string') return {detail: `${o.error_name}: ${reasonOf(o.error_dict)}`.slice(0, 300), errorName: o.error_name};
	return {detail: (reasonOf(o.detail) || reasonOf(o.message) || text).slice(0, 300)};
}

/** A reason out of a string, {message | msg | error}, or a list of them; '' when there is none. */
function reasonOf(v: unknown): string {
	if (typeof v === 'string') return v;
	if (Array.isArray(v)) return v.map(reasonOf).filter(Boolean).join('; ');
	if (v && typeof v === 'object') {
		const o = v as {message?: unknown; msg?: unknown; error?: unknown};
		return reasonOf(o.message) || reasonOf(o.msg) || reasonOf(o.error);
	}
	return '';
}
