// The devnet orchestrator: the IOTA v1 miner API on fastify, state in SQLite, objects in the
// devnet store through presigned URLs. Checks per signed request, in order: spec and orchestrator
// version headers (409), Epistula signature, staleness and replay (401), subnet metagraph (403),
// rate limit per hotkey per endpoint (429), orchestrator registry (404), layer phase (409).
import Fastify, {type FastifyReply, type FastifyRequest} from 'fastify';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import type {IncomingMessage} from 'node:http';
import type {AddressInfo} from 'node:net';
import {z} from 'zod';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {canonicalJson, toPlain} from '../orchestrator/canonical-json.js';
import {parsePyJson} from '../orchestrator/py-json-parse.js';
import {EMPTY_BODY, ReplayGuard, verifyRequest} from '../orchestrator/epistula.js';
import {SPEC_VERSION, type MergingPhase} from '../orchestrator/schemas.js';
import {resolveSettings, type OrchestratorSettings, type OrchestratorSettingsInput} from '../orchestrator/settings.js';
import {makeS3Client} from '../storage/s3.js';
import {Presigner} from '../storage/presign.js';
import type {ChainView} from './chain-view.js';
import type {ChainScore} from './score-validator.js';
import {OrchestratorState, type MinerRow} from './state.js';
import {advancePhases} from './phases.js';
import {RateLimiter} from './rate-limit.js';
import {registerRoutes} from './routes.js';

export interface StoreAccess {
	endpoint: string;
	bucket: string;
	accessKeyId: string;
	secretAccessKey: string;
}

export interface OrchestratorOptions {
	/** Folder for orchestrator.sqlite. */
	dataDir: string;
	chain: ChainView;
	store: StoreAccess;
	settings?: OrchestratorSettingsInput;
	host?: string;
	port?: number;
	log?: (line: string) => void;
	/** On-chain incentive/emission for miner_detail (the devnet validator provides it). */
	chainScore?: (hotkey: string) => Promise<ChainScore>;
}

export interface OrchestratorServer {
	url: string;
	port: number;
	settings: OrchestratorSettings;
	state: OrchestratorState;
	/** Moves the orchestrator's clock for timeouts (not for signatures) forward; for tests. */
	advanceTime(ms: number): void;
	close(): Promise<void>;
}

export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly detail: string,
	) {
		super(detail);
	}
}

export type Auth = 'public' | 'signed' | 'miner';

export interface RouteContext {
	hotkey: string;
	miner: MinerRow | undefined;
	body: unknown;
	query: Record<string, string>;
	params: Record<string, string>;
}

/** What the route handlers share. */
export interface Core {
	settings: OrchestratorSettings;
	state: OrchestratorState;
	chain: ChainView;
	chainScore?: (hotkey: string) => Promise<ChainScore>;
	presigner: Presigner;
	bucket: string;
	now(): number;
	log(line: string): void;
	advance(): void;
	/** The miner's layer phase must be `phase`, else 409 with the expected state. */
	requirePhase(miner: MinerRow, phase: MergingPhase): void;
	route(method: 'GET' | 'POST', url: string, opts: {auth: Auth; high?: boolean; register?: boolean}, handler: (ctx: RouteContext) => Promise<unknown> | unknown): void;
}

export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
	const r = schema.safeParse(value);
	if (!r.success) {
		const issue = r.error.issues[0]!;
		throw new HttpError(422, `invalid request: ${issue.path.join('.') || 'body'}: ${issue.message}`);
	}
	return r.data;
}

const readRaw = (req: IncomingMessage): Promise<string> =>
	new Promise((resolve, reject) => {
		let text = '';
		req.setEncoding('utf8');
		req.on('data', (c: string) => {
			text += c;
			if (text.length > 1 << 20) reject(new HttpError(413, 'body too large'));
		});
		req.on('end', () => resolve(text));
		req.on('error', reject);
	});

export async function startOrchestrator(opts: OrchestratorOptions): Promise<OrchestratorServer> {
	await cryptoWaitReady();
	const settings = resolveSettings(opts.settings);
	mkdirSync(opts.dataDir, {recursive: true});
	let offset = 0;
	const now = () => Date.now() + offset;
	const state = new OrchestratorState(join(opts.dataDir, 'orchestrator.sqlite'), settings.layers, now());
	const log = opts.log ?? (() => {});
	const presigner = new Presigner(makeS3Client({...opts.store}), opts.store.bucket);
	const replay = new ReplayGuard(settings.signature_max_skew_ms);
	const limiter = new RateLimiter();
	const app = Fastify({bodyLimit: 64 << 20, forceCloseConnections: true});
	app.removeAllContentTypeParsers();
	app.addContentTypeParser('*', {parseAs: 'string'}, (_req, body, done) => done(null, body));

	const core: Core = {
		settings,
		state,
		chain: opts.chain,
		chainScore: opts.chainScore,
		presigner,
		bucket: opts.store.bucket,
		now,
		log,
		advance() {
			state.reclaimExpired(now() - settings.activation_timeout_s * 1000);
			for (const line of advancePhases(state, settings, now())) log(`orchestrator: ${line}`);
		},
		requirePhase(miner, phase) {
			const l = state.layer(miner.layer);
			if (l && l.phase !== phase) throw new HttpError(409, phase);
		},
		route(method, url, ropts, handler) {
			app.route({
				method,
				url,
				handler: async (req: FastifyRequest, reply: FastifyReply) => {
					try {
						const result = await handle(req, ropts, handler);
						core.advance();
						return reply.code(200).type('application/json').send(JSON.stringify(result));
					} catch (error) {
						const e = error instanceof HttpError ? error : new HttpError(500, `internal error: ${(error as Error).message}`);
						if (e.status >= 500) log(`orchestrator: ${method} ${url}: ${e.detail}`);
						return reply.code(e.status).type('application/json').send(JSON.stringify({detail: e.detail}));
					}
				},
			});
		},
	};

	async function handle(req: FastifyRequest, ropts: {auth: Auth; high?: boolean; register?: boolean}, handler: (ctx: RouteContext) => unknown): Promise<unknown> {
		const raw = req.method === 'GET' ? await readRaw(req.raw) : typeof req.body === 'string' ? req.body : '';
		let parsed: unknown = {};
		let canonical = EMPTY_BODY;
		if (raw.trim() !== '') {
			try {
				const py = parsePyJson(raw);
				canonical = canonicalJson(py);
				parsed = toPlain(py);
			} catch (error) {
				throw new HttpError(400, (error as Error).message);
			}
		}
		const ctx: RouteContext = {
			hotkey: '',
			miner: undefined,
			body: parsed,
			query: req.query as Record<string, string>,
			params: req.params as Record<string, string>,
		};
		core.advance();
		if (ropts.auth === 'public') return handler(ctx);
		if (req.headers['x-spec-version'] !== String(SPEC_VERSION)) throw new HttpError(409, 'Spec version mismatch.');
		if (!ropts.register && req.headers['x-orchestrator-version'] !== settings.version) throw new HttpError(409, 'Orchestrator version mismatch.');
		const v = verifyRequest(req.headers, canonical, {maxSkewMs: settings.signature_max_skew_ms, replay});
		if (!v.ok) throw new HttpError(401, `Epistula verification failed: ${v.error}`);
		ctx.hotkey = v.hotkey;
		if (!(await opts.chain.isRegistered(v.hotkey))) throw new HttpError(403, 'Hotkey not registered on subnet.');
		const perSecond = ropts.high ? settings.rate_limit_random_per_s : settings.rate_limit_per_s;
		if (!limiter.take(`${v.hotkey} ${req.method} ${req.routeOptions.url}`, perSecond, Date.now())) throw new HttpError(429, 'Rate limit exceeded.');
		ctx.miner = state.miner(v.hotkey);
		if (ropts.auth === 'miner' && !ctx.miner) throw new HttpError(404, 'Miner not registered.');
		return handler(ctx);
	}

	registerRoutes(core);
	await app.listen({host: opts.host ?? '127.0.0.1', port: opts.port ?? 0});
	const port = (app.server.address() as AddressInfo).port;
	return {
		url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
		port,
		settings,
		state,
		advanceTime(ms) {
			offset += ms;
		},
		async close() {
			await app.close();
			state.close();
		},
	};
}
