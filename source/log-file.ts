// Size-capped log files with rotation: FILE grows to maxBytes, then becomes FILE.1 (FILE.1 becomes
// FILE.2 ...) and a new FILE starts, so a miner or devnet left running for weeks uses a fixed amount of disk.
import {closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync} from 'node:fs';
import {dirname} from 'node:path';

export const LOG_MAX_BYTES = 5 * 1024 * 1024;
export const LOG_KEEP = 2; // rotated files kept beside the live one

export type RotatingLog = {write(text: string): void; close(): void; readonly path: string};

export function openRotatingLog(path: string, maxBytes = LOG_MAX_BYTES, keep = LOG_KEEP): RotatingLog {
	mkdirSync(dirname(path), {recursive: true});
	let fd = openSync(path, 'a', 0o600);
	let size = fstatSync(fd).size;
	const rotate = () => {
		closeSync(fd);
		rmSync(`${path}.${keep}`, {force: true});
		for (let i = keep - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
		if (keep > 0) renameSync(path, `${path}.1`);
		else rmSync(path, {force: true});
		fd = openSync(path, 'a', 0o600);
		size = 0;
	};
	return {
		path,
		write(text: string) {
			const data = Buffer.from(text);
			if (size > 0 && size + data.length > maxBytes) rotate();
			// One oversized write is cut rather than letting a single line break the cap.
			const chunk = data.length > maxBytes ? data.subarray(data.length - maxBytes) : data;
			writeSync(fd, chunk);
			size += chunk.length;
		},
		close() {
			closeSync(fd);
		},
	};
}

/** Sends everything this process writes to stdout and stderr into a rotating log instead. */
export function redirectOutput(path: string, maxBytes = LOG_MAX_BYTES, keep = LOG_KEEP): RotatingLog {
	const log = openRotatingLog(path, maxBytes, keep);
	for (const stream of [process.stdout, process.stderr]) {
		stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
			log.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
			const done = typeof encoding === 'function' ? encoding : callback;
			if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
			return true;
		}) as typeof stream.write;
	}
	return log;
}
