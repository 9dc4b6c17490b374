// Reads a request body under a byte limit and a deadline: past either it stops reading at once
// (nothing more is buffered) and refuses with a closing error, so a huge or slow body costs the
// server at most `limit` bytes and `deadlineMs` of waiting.
import type {IncomingMessage} from 'node:http';
import {HttpError} from './core.js';

const utf8 = new TextDecoder('utf-8', {fatal: true});

export function readBody(req: IncomingMessage, limit: number, deadlineMs: number): Promise<string> {
	const declared = Number(req.headers['content-length'] ?? 0);
	if (declared > limit) return Promise.reject(new HttpError(413, `body too large (limit ${limit} bytes)`, true));
	if (req.readableEnded) return Promise.resolve('');
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const stop = () => {
			req.off('data', onData);
			req.off('end', onEnd);
			req.off('error', onError);
			clearTimeout(timer);
		};
		const fail = (error: HttpError) => {
			stop();
			req.pause();
			reject(error);
		};
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) fail(new HttpError(413, `body too large (limit ${limit} bytes)`, true));
			else chunks.push(chunk);
		};
		const onEnd = () => {
			stop();
			try {
				resolve(utf8.decode(Buffer.concat(chunks)));
			} catch {
				reject(new HttpError(400, 'body is not valid UTF-8'));
			}
		};
		const onError = () => fail(new HttpError(400, 'request body could not be read', true));
		const timer = setTimeout(() => fail(new HttpError(408, `body not received within ${deadlineMs / 1000} s`, true)), deadlineMs);
		req.on('data', onData);
		req.on('end', onEnd);
		req.on('error', onError);
	});
}
