// One request of the current protocol, checked in this order: X-Spec-Version (SpecVersionError, before
// the body is read), Epistula headers present (400), body within the route's limit (413), JSON (422),
// signature, staleness and X-Request-Id replay (400 EpistulaError), signer in the metagraph
// (EntityNotRegisteredError), rate limit per hotkey per route (429), registered with this orchestrator
// on miner routes (EntityNotRegisteredError), body and query schemas (422); then the handler.
import type {FastifyReply, FastifyRequest} from 'fastify';
import type {z} from 'zod';
import {canonicalJson, toPlain, type PyJson} from '../../orchestrator/canonical-json.js';
import {parsePyJson} from '../../orchestrator/py-json-parse.js';
import {claimRequestId, epistulaErrorBody, REPLAYED, signedBodyText, SPEC_VERSION, verifyCurrent, type RequestIdGuard} from '../../orchestrator/current/signing.js';
import {readBody} from '../body.js';
import type {ChainView} from '../chain-view.js';
import {HttpError, oneLine} from '../core.js';
import type {RateLimiter} from '../rate-limit.js';
import {NoBody, NoQuery, SIGNED_BODY_LIMIT, type CurrentContext, type CurrentRouteOptions} from './core.js';
import {ApiError, notRegistered, specVersionError, StatusError, tooManyRequests, validationError} from './errors.js';
import type {CurrentSettings} from './settings.js';
import type {CurrentState} from './state.js';

/** A body that has not arrived in full by then is refused (slow senders hold no handler for long). */
const BODY_DEADLINE_MS = 10_000;
const PUBLIC_BODY_LIMIT = 1024;
const REQUIRED_HEADERS = ['Epistula-Timestamp', 'Epistula-Signed-By', 'Epistula-Request-Signature', 'X-Request-Id'];

export type Route = CurrentRouteOptions<z.ZodType, z.ZodType>;
export type Handler = (ctx: CurrentContext) => Promise<unknown> | unknown;

export interface PipelineDeps {
	settings: CurrentSettings;
	state: CurrentState;
	chain: ChainView;
	guard: RequestIdGuard;
	limiter: RateLimiter;
	now(): number;
	advance(): void;
	log(line: string): void;
}

const header = (req: FastifyRequest, name: string): string | undefined => {
	const v = req.headers[name.toLowerCase()];
	return Array.isArray(v) ? v[0] : v;
};

function parseJson(raw: string): PyJson | undefined {
	if (raw.trim() === '') return undefined;
	try {
		return parsePyJson(raw);
	} catch (error) {
		throw validationError('body', [0], `JSON decode error: ${(error as Error).message}`, 'json_invalid');
	}
}

function checked<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query'): z.output<T> {
	const r = schema.safeParse(value);
	if (r.success) return r.data;
	const issue = r.error.issues[0]!;
	throw validationError(where, issue.path, issue.message);
}

export function makeResponder(d: PipelineDeps) {
	const limitFor = (ropts: Route) => (ropts.auth === 'public' ? d.settings.public_rate_limit_per_s : ropts.high ? d.settings.rate_limit_high_per_s : d.settings.rate_limit_per_s);

	async function handle(req: FastifyRequest, ropts: Route, handler: Handler, claimed: {id?: string}): Promise<unknown> {
		const signed = ropts.auth !== 'public';
		if (signed) {
			const spec = header(req, 'X-Spec-Version');
			if (spec !== String(SPEC_VERSION)) throw specVersionError(spec ?? 'None');
			for (const name of REQUIRED_HEADERS) if (!header(req, name)) throw new StatusError(400, epistulaErrorBody(`Missing header ${name}`));
		}
		const raw = parseJson(await readBody(req.raw, ropts.maxBody ?? (signed ? SIGNED_BODY_LIMIT : PUBLIC_BODY_LIMIT), BODY_DEADLINE_MS));
		const signedText = signedBodyText(raw);
		const ctx: CurrentContext = {hotkey: '', miner: undefined, body: undefined, query: undefined, params: req.params as Record<string, string>, raw, signedText, ip: req.ip};
		const route = `${req.method} ${req.routeOptions.url}`;
		if (signed) {
			const v = verifyCurrent(req.headers, signedText, {timeoutS: d.settings.signature_timeout_s});
			if (!v.ok) throw new StatusError(400, epistulaErrorBody(v.error));
			ctx.hotkey = v.hotkey;
			if (!(await d.chain.isRegistered(v.hotkey))) throw notRegistered(`Hotkey ${v.hotkey} is not registered on the subnet`);
			// The id is taken only for a registered signer: an outsider's far-future ids cannot fill the table.
			if (!claimRequestId(d.guard, v.requestId, v.timestampMs, {timeoutS: d.settings.signature_timeout_s})) throw new StatusError(400, epistulaErrorBody(REPLAYED));
			claimed.id = v.requestId;
			if (!d.limiter.take(`${v.hotkey} ${route}`, limitFor(ropts), Date.now())) throw tooManyRequests();
			ctx.miner = d.state.miner(v.hotkey);
			if (ropts.auth === 'miner' && !ctx.miner) throw notRegistered('Miner is not registered with the orchestrator: register first');
			if (ctx.miner) d.state.touch(v.hotkey, d.now());
		} else if (!d.limiter.take(`${req.ip} ${route}`, limitFor(ropts), Date.now())) throw tooManyRequests();
		ctx.body = checked(ropts.body ?? NoBody, raw === undefined ? undefined : toPlain(raw), 'body');
		ctx.query = checked(ropts.query ?? NoQuery, req.query, 'query');
		d.advance();
		return handler(ctx);
	}

	return async function respond(req: FastifyRequest, reply: FastifyReply, ropts: Route, handler: Handler) {
		const claimed: {id?: string} = {};
		try {
			const result = await handle(req, ropts, handler, claimed);
			d.advance();
			// Python's json text: floats stay floats (bridge values), keys sorted.
			return reply.code(200).type('application/json').send(canonicalJson((result ?? null) as PyJson));
		} catch (error) {
			let status: number;
			let body: unknown;
			let close = false;
			if (error instanceof ApiError) [status, body] = [200, error.body];
			else if (error instanceof StatusError) [status, body, close] = [error.status, error.body, error.close];
			else if (error instanceof HttpError) [status, body, close] = [error.status, {detail: error.detail}, error.close];
			else {
				d.log(`orchestrator: ${req.method} ${req.routeOptions.url}: ${oneLine((error as Error).message)}`);
				[status, body] = [500, {detail: 'internal error'}];
			}
			// A refusal that did no work frees its request id: the client retries with the same headers.
			if (claimed.id && (status === 429 || status >= 500)) d.guard.release(claimed.id);
			// An unread body is not drained: the connection goes once the reply is out.
			if (close || !req.raw.complete) {
				reply.header('connection', 'close');
				reply.raw.once('finish', () => req.raw.socket?.destroy());
			}
			return reply.code(status).type('application/json').send(JSON.stringify(body));
		}
	};
}
