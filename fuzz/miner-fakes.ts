// A fake IOTA v1 orchestrator, object store and "foreign" host on loopback, for the miner fuzzer and
// the miner's hardening tests: well-behaved by default, any route can be swapped for a hostile reply.
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {randomUUID} from 'node:crypto';
import {defaultSettings} from '../source/orchestrator/settings.js';
import {encodeWire} from '../source/training/wire.js';

/** What a route answers: JSON, raw bytes, or a hostile behaviour. */
export type Reply = {
	status?: number;
	json?: unknown;
	body?: string | Uint8Array;
	headers?: Record<string, string>;
	/** Send this many bytes (of `fill`, default '[') as fast as the client reads. */
	huge?: number;
	fill?: string;
	/** One byte every `drip` ms, forever. */
	drip?: number;
	/** Never answer. */
	hang?: boolean;
	/** Destroy the socket without a reply. */
	reset?: boolean;
};
export type Req = {method: string; path: string; query: URLSearchParams; body: Buffer; json: unknown; headers: IncomingMessage['headers']};
export type Route = (req: Req) => Reply | undefined;

export type Fakes = Awaited<ReturnType<typeof startFakes>>;

/** The tiny model's stage input: [batch 2, seq 16, bottleneck 8], zeros. */
export const stageInput = () => encodeWire({dtype: 'float32', shape: [2, 16, 8], data: new Float32Array(2 * 16 * 8).buffer});
export const tokenIds = () => encodeWire({dtype: 'int32', shape: [2, 16], data: new Int32Array(2 * 16).fill(65).buffer});

async function listen(host: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{server: Server; url: string}> {
	const server = createServer(handler);
	server.on('clientError', (_e, socket) => socket.destroy());
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, host, resolve);
	});
	return {server, url: `http://${host}:${(server.address() as AddressInfo).port}`};
}

function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
	return new Promise(resolve => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (c: Buffer) => {
			size += c.length;
			if (size <= limit) chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', () => resolve(Buffer.concat(chunks)));
		req.on('close', () => resolve(Buffer.concat(chunks)));
	});
}

/** Writes `reply` to `res`; hostile shapes stop as soon as the client goes away. */
export function answer(res: ServerResponse, reply: Reply, timers: Set<NodeJS.Timeout>): void {
	if (reply.reset) return void res.socket?.destroy();
	if (reply.hang) return;
	const status = reply.status ?? 200;
	if (reply.drip !== undefined) {
		res.writeHead(status, {'content-type': 'application/json', ...reply.headers});
		const t = setInterval(() => (res.destroyed || res.socket?.destroyed ? clearInterval(t) : res.write('[')), reply.drip);
		timers.add(t);
		return;
	}
	if (reply.huge !== undefined) {
		res.writeHead(status, {'content-type': 'application/json', ...reply.headers});
		const chunk = Buffer.alloc(64 * 1024, reply.fill ?? '[');
		let left = reply.huge;
		const pump = () => {
			while (left > 0 && !res.destroyed) {
				left -= chunk.length;
				if (!res.write(chunk)) return void res.once('drain', pump);
			}
			if (!res.destroyed) res.end();
		};
		res.on('close', () => (left = 0));
		return pump();
	}
	const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.body ?? '');
	res.writeHead(status, {'content-type': reply.json !== undefined ? 'application/json' : 'application/octet-stream', ...reply.headers});
	res.end(body);
}

const noWork = {activation_uid: null, activation_path: null, direction: null, initial_activation: null, initial_activation_path: null, reason: 'no_activation_found'};

export async function startFakes(opts: {layer?: number} = {}) {
	const layer = opts.layer ?? 1;
	const timers = new Set<NodeJS.Timeout>();
	const hits = new Map<string, number>();
	const objects = new Map<string, Uint8Array>(); // the store's contents, by key
	const puts: string[] = []; // keys PUT to the store
	const published: {status: string; activation_uid: string | null; activation_path: string | null}[] = [];
	const routes = new Map<string, Route>(); // "METHOD /path" -> hostile override
	const storeRoutes: Route[] = [];
	let foreignHits = 0;
	let forwardsHandedOut = 0;

	// Store hits are counted as "store METHOD /path" in `hits`, before the body is read.
	const store = await listen('127.0.0.1', async (req, res) => {
		const early = `store ${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
		hits.set(`${early} (started)`, (hits.get(`${early} (started)`) ?? 0) + 1);
		const body = await readBody(req);
		const u = new URL(req.url ?? '/', 'http://x');
		const key = decodeURIComponent(u.pathname.slice(1));
		const r: Req = {method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, body, json: null, headers: req.headers};
		const hit = `${r.method} ${r.path}`;
		hits.set(`store ${hit}`, (hits.get(`store ${hit}`) ?? 0) + 1);
		for (const route of storeRoutes) {
			const reply = route(r);
			if (reply) return answer(res, reply, timers);
		}
		if (req.method === 'PUT') {
			puts.push(key);
			objects.set(key, body);
			return answer(res, {headers: {etag: `"${randomUUID()}"`}}, timers);
		}
		const stored = objects.get(key);
		if (!stored) return answer(res, {status: 404, body: 'NoSuchKey'}, timers);
		answer(res, {body: stored}, timers);
	});
	const foreign = await listen('127.0.0.2', (req, res) => {
		foreignHits++;
		answer(res, {body: stageInput()}, timers);
	});
	objects.set('act/in.bin', stageInput());
	objects.set('act/ids.bin', tokenIds());

	const defaults = (r: Req, route: string): Reply => {
		const body = (r.json ?? {}) as Record<string, unknown>;
		switch (route) {
			case 'POST /orchestrator/register_miner':
				return {json: {hotkey: String(r.headers['epistula-signed-by'] ?? ''), layer, message: 'registered', version: 'fuzz-1'}};
			case 'GET /orchestrator/settings':
				return {json: {...defaultSettings(), layers: 3, batches_before_merging: 1000}};
			case 'POST /storage/activations/random':
				if (layer === 1 && forwardsHandedOut++ === 0) return {json: {...noWork, activation_uid: randomUUID(), activation_path: `${store.url}/act/in.bin`, direction: 'forward', reason: null}};
				return {json: noWork};
			case 'POST /storage/multipart_upload/initiate':
				return {json: {message: 'ok', data: {use_multipart: false, presigned_data: `${store.url}/${String(body.path)}`}}};
			case 'POST /storage/multipart_upload/complete':
				return {json: {message: 'ok', data: {s3_path: String(body.path)}}};
			case 'GET /storage/presigned_url':
				return {json: {message: 'ok', data: {presigned_data: `${store.url}/${String(body.path)}`}}};
			case 'POST /orchestrator/miners/status':
				published.push(body as (typeof published)[number]);
				return {json: {message: 'ok'}};
			case 'GET /orchestrator/is_registered':
				return {json: {is_registered: true}};
			case 'GET /orchestrator/healthcheck':
				return {json: {status: 'ok'}};
			case 'GET /orchestrator/is_merging':
				return {json: {status: 'is_training', num_sections: 1}};
			case 'GET /orchestrator/global_miner_weights':
				return {json: {miner_weights: {}, layers: []}};
			case 'GET /orchestrator/request_learning_rate':
				return {json: 1e-4};
			case 'POST /orchestrator/miners/report_loss':
				return {json: {hotkey: 'x', activation_uid: String(body.activation_uid), loss_value: 1, timestamp: 0, message: 'ok'}};
			default:
				if (route.startsWith('GET /storage/weights/layer/')) return {json: []};
				return {status: 404, json: {detail: 'Not Found'}};
		}
	};

	const orchestrator = await listen('127.0.0.1', async (req, res) => {
		const body = await readBody(req, 1024 * 1024);
		const u = new URL(req.url ?? '/', 'http://x');
		const route = `${req.method} ${u.pathname}`;
		hits.set(route, (hits.get(route) ?? 0) + 1);
		let json: unknown = null;
		try {
			json = body.length ? JSON.parse(body.toString('utf8')) : null;
		} catch {
			// not JSON
		}
		const r: Req = {method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, body, json, headers: req.headers};
		const override = routes.get(route) ?? (route.startsWith('GET /storage/weights/layer/') ? routes.get('GET /storage/weights/layer') : undefined);
		answer(res, override?.(r) ?? defaults(r, route), timers);
	});

	const servers = [store.server, foreign.server, orchestrator.server];
	return {
		url: orchestrator.url,
		storeUrl: store.url,
		foreignUrl: foreign.url,
		layer,
		hits,
		objects,
		puts,
		published,
		routes,
		storeRoutes,
		get foreignHits() {
			return foreignHits;
		},
		hitCount: (route: string) => hits.get(route) ?? 0,
		async close() {
			for (const t of timers) clearInterval(t);
			for (const s of servers) s.closeAllConnections();
			await Promise.all(servers.map(s => new Promise(resolve => s.close(resolve))));
		},
	};
}
