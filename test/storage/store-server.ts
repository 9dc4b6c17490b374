// A real object-store stand-in for the queue tests: PUT /<key> on 127.0.0.1 records the body.
// It can fail the next N requests and hold requests open so tests see what is in flight.
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import type {QueuedJob} from '../../source/storage/upload-queue.js';

export type StoreServer = Awaited<ReturnType<typeof startStore>>;

export async function startStore() {
	const bodies = new Map<string, Buffer>();
	const puts = new Map<string, number>(); // successful PUTs per key (exactly-once checks)
	const held: {finish: () => void}[] = [];
	const checks: (() => void)[] = [];
	let failures = 0;
	let holding = false;
	let holdUntil = 0; // when > 0: hold until this many are held, then release them all
	let inFlight = 0;
	let maxInFlight = 0;
	let requests = 0;
	const changed = () => [...checks].forEach(check => check());

	const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
		const key = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
		const finish = () => {
			inFlight--;
			if (req.socket.destroyed) return changed(); // client gone (killed or aborted): nothing stored
			if (failures > 0) {
				failures--;
				res.writeHead(500).end('injected failure');
			} else {
				bodies.set(key, body);
				puts.set(key, (puts.get(key) ?? 0) + 1);
				res.writeHead(200).end();
			}
			changed();
		};
		if (holding || holdUntil > 0) {
			const entry = {finish};
			held.push(entry);
			// A client that dies while held (killed, aborted) drops out: nothing is stored for it.
			req.socket.once('close', () => {
				const at = held.indexOf(entry);
				if (at < 0) return;
				held.splice(at, 1);
				inFlight--;
				changed();
			});
			if (holdUntil > 0 && held.length >= holdUntil) server.release();
			else changed();
		} else finish();
	};

	const http = createServer((req, res) => {
		requests++;
		inFlight++;
		maxInFlight = Math.max(maxInFlight, inFlight);
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => handle(req, res, Buffer.concat(chunks)));
	});
	await new Promise<void>(resolve => http.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

	const server = {
		url,
		bodies,
		puts,
		get held() {
			return held.length;
		},
		get maxInFlight() {
			return maxInFlight;
		},
		get requests() {
			return requests;
		},
		failNext(n: number) {
			failures = n;
		},
		hold() {
			holding = true;
		},
		holdInBatchesOf(n: number) {
			holdUntil = n;
		},
		/** Answers every held request and stops holding. */
		release() {
			holding = false;
			for (const h of held.splice(0)) h.finish();
		},
		/** Resolves once `condition` holds (re-checked on every request event). */
		waitFor(condition: () => boolean): Promise<void> {
			return new Promise(resolve => {
				const check = () => {
					if (!condition()) return;
					checks.splice(checks.indexOf(check), 1);
					resolve();
				};
				checks.push(check);
				check();
			});
		},
		async close() {
			holding = false;
			holdUntil = 0;
			for (const h of held.splice(0)) h.finish();
			http.closeAllConnections();
			await new Promise<void>(resolve => http.close(() => resolve()));
		},
	};
	return server;
}

/** The run() a miner would pass: PUT the body to the store, throw on a non-2xx answer. */
export const putTo = (url: string) => async (job: QueuedJob) => {
	const response = await fetch(`${url}/${encodeURIComponent(job.key)}`, {method: 'PUT', body: await job.body(), signal: job.signal});
	await response.arrayBuffer();
	if (!response.ok) throw new Error(`PUT ${job.key}: HTTP ${response.status}`);
};

/** A body whose bytes depend on i, so a mix-up between jobs shows. */
export const bodyOf = (i: number, size = 1000 + i * 37): Uint8Array => {
	const bytes = new Uint8Array(size);
	for (let j = 0; j < size; j++) bytes[j] = (i * 31 + j * 7) & 0xff;
	return bytes;
};
