// The devnet orchestrator: the IOTA v1 miner API on fastify, state in SQLite, objects in the
// devnet store through presigned URLs. Checks per signed request, in order, before the body is
// read: spec and orchestrator version headers (409), well-formed fresh Epistula headers (401),
// signer in the subnet metagraph (403); then the body within the route's limit (413), the
// signature and replay (401), rate limit per hotkey per endpoint (429), orchestrator registry
// (404), body and query schemas (422), and in the handlers the layer phase (409).
import Fastify, {type FastifyReply, type FastifyRequest} from 'fastify';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import type {AddressInfo} from 'node:net';
import type {z} from 'zod';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {canonicalJson, toPlain} from '../orchestrator/canonical-json.js';
import {parsePyJson} from '../orchestrator/py-json-parse.js';
import {checkHeaders, EMPTY_BODY, ReplayGuard, verifyRequest} from '../orchestrator/epistula.js';
import {SPEC_VERSION} from '../orchestrator/schemas.js';
import {resolveSettings, type OrchestratorSettings, type OrchestratorSettingsInput} from '../orchestrator/settings.js';
import {makeS3Client} from '../storage/s3.js';
import {Presigner} from '../storage/presign.js';
import type {ChainView} from './chain-view.js';
import type {ChainScore} from './score-validator.js';
import {OrchestratorState} from './state.js';
import {advancePhases} from './phases.js';
import {RateLimiter} from './rate-limit.js';
import {registerRoutes} from './routes.js';
import {readBody} from './body.js';
import {HttpError, NoBody, NoQuery, oneLine, parseBody, PUBLIC_BODY_LIMIT, SIGNED_BODY_LIMIT, type Core, type RouteContext, type RouteOptions, type StoreAccess} from './core.js';

/** A body that has not arrived in full by then is refused (slow senders hold no handler for long). */
const BODY_DEADLINE_MS = 10_000;

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

type Route = RouteOptions<z.ZodType, z.ZodType>;
type Handler = (ctx: RouteContext) => Promise<unknown> | unknown;

/** The parsed body (undefined when empty) and its canonical text for the signature. */
function parseJson(raw: string): {parsed: unknown; canonical: string} {
	if (raw.trim() === '') return {parsed: undefined, canonical: EMPTY_BODY};
	try {
		const py = parsePyJson(raw);
		return {parsed: toPlain(py), canonical: canonicalJson(py)};
	} catch (error) {
		throw new HttpError(400, oneLine((error as Error).message));
	}
}

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
	// Bodies are not parsed by fastify: the parser hands the stream on unread and the route reads
	// it after the cheap header checks, under its own limit (readBody).
	const app = Fastify({forceCloseConnections: true, requestTimeout: 60_000});
	app.removeAllContentTypeParsers();
	app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
	app.setErrorHandler((error: {statusCode?: number; message: string}, _req, reply) => {
		const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
		if (status >= 500) log(`orchestrator: ${oneLine(error.message)}`);
		return reply.code(status).type('application/json').send(JSON.stringify({detail: oneLine(error.message)}));
	});

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
			state.reclaimExpired(now() - settings.activation_timeout_s * 1000, now() - settings.cache_timeout_s * 1000);
			for (const line of advancePhases(state, settings, now())) log(`orchestrator: ${line}`);
		},
		requirePhase(miner, phase) {
			const l = state.layer(miner.layer);
			if (l && l.phase !== phase) throw new HttpError(409, phase);
		},
		route(method, url, ropts, handler) {
			app.route({method, url, handler: (req, reply) => respond(req, reply, ropts as Route, handler as Handler)});
		},
	};

	async function respond(req: FastifyRequest, reply: FastifyReply, ropts: Route, handler: Handler) {
		try {
			const result = await handle(req, ropts, handler);
			core.advance();
			return reply.code(200).type('application/json').send(JSON.stringify(result));
		} catch (error) {
			const e = error instanceof HttpError ? error : new HttpError(500, `internal error: ${oneLine((error as Error).message)}`);
			if (e.status >= 500) log(`orchestrator: ${req.method} ${req.routeOptions.url}: ${e.detail}`);
			// An unread body is not drained: the connection goes once the reply is out.
			if (e.close || !req.raw.complete) {
				reply.header('connection', 'close');
				reply.raw.once('finish', () => req.raw.socket?.destroy());
			}
			return reply.code(e.status).type('application/json').send(JSON.stringify({detail: e.detail}));
		}
	}

	/** Checks that need no body; a request failing them is refused before its body is read. */
	async function precheck(req: FastifyRequest, ropts: Route): Promise<void> {
		if (req.headers['x-spec-version'] !== String(SPEC_VERSION)) throw new HttpError(409, 'Spec version mismatch.');
		if (!ropts.register && req.headers['x-orchestrator-version'] !== settings.version) throw new HttpError(409, 'Orchestrator version mismatch.');
		const h = checkHeaders(req.headers, {maxSkewMs: settings.signature_max_skew_ms});
		if (!h.ok) throw new HttpError(401, `Epistula verification failed: ${h.error}`);
		if (!(await opts.chain.isRegistered(h.hotkey))) throw new HttpError(403, 'Hotkey not registered on subnet.');
	}

	async function handle(req: FastifyRequest, ropts: Route, handler: Handler): Promise<unknown> {
		const signed = ropts.auth !== 'public';
		if (signed) await precheck(req, ropts);
		const raw = await readBody(req.raw, ropts.maxBody ?? (signed ? SIGNED_BODY_LIMIT : PUBLIC_BODY_LIMIT), BODY_DEADLINE_MS);
		const {parsed, canonical} = parseJson(raw);
		const ctx: RouteContext = {hotkey: '', miner: undefined, body: undefined, query: undefined, params: req.params as Record<string, string>};
		core.advance();
		if (signed) {
			const v = verifyRequest(req.headers, canonical, {maxSkewMs: settings.signature_max_skew_ms, replay});
			if (!v.ok) throw new HttpError(401, `Epistula verification failed: ${v.error}`);
			ctx.hotkey = v.hotkey;
			const perSecond = ropts.high ? settings.rate_limit_random_per_s : settings.rate_limit_per_s;
			if (!limiter.take(`${v.hotkey} ${req.method} ${req.routeOptions.url}`, perSecond, Date.now())) throw new HttpError(429, 'Rate limit exceeded.');
			ctx.miner = state.miner(v.hotkey);
			if (ropts.auth === 'miner' && !ctx.miner) throw new HttpError(404, 'Miner not registered.');
		}
		ctx.body = parseBody(ropts.body ?? NoBody, parsed);
		ctx.query = parseBody(ropts.query ?? NoQuery, req.query, 'query');
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
