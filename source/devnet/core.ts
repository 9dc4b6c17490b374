// What the orchestrator's route modules share with the server: the error type, the route
// contract (auth, body and query schemas, body limit) and the core services handed to routes.
import {z} from 'zod';
import type {MergingPhase} from '../orchestrator/schemas.js';
import type {OrchestratorSettings} from '../orchestrator/settings.js';
import type {Presigner} from '../storage/presign.js';
import type {ChainView} from './chain-view.js';
import type {ChainScore} from './score-validator.js';
import type {MinerRow, OrchestratorState} from './state.js';

export interface StoreAccess {
	endpoint: string;
	bucket: string;
	accessKeyId: string;
	secretAccessKey: string;
}

/** A refusal with its status; `close` drops the connection after the reply (body left unread). */
export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly detail: string,
		readonly close = false,
	) {
		super(detail);
	}
}

export type Auth = 'public' | 'signed' | 'miner';

/** Routes without a body accept none, or the `{}` that v1 miners send on body-less POSTs. */
export const NoBody = z.union([z.undefined(), z.strictObject({})]);
export const NoQuery = z.strictObject({});

/** Body limits in bytes, sized to the real messages: a few KB unless a route says otherwise. */
export const PUBLIC_BODY_LIMIT = 1024;
export const SIGNED_BODY_LIMIT = 4096;

export interface RouteOptions<B extends z.ZodType, Q extends z.ZodType> {
	auth: Auth;
	high?: boolean;
	register?: boolean;
	/** Schema for the parsed JSON body (undefined when there is none); default NoBody. */
	body?: B;
	/** Schema for the query string; default NoQuery. */
	query?: Q;
	/** Body limit in bytes; default PUBLIC_BODY_LIMIT or SIGNED_BODY_LIMIT. */
	maxBody?: number;
}

export interface RouteContext<B = unknown, Q = unknown> {
	hotkey: string;
	miner: MinerRow | undefined;
	body: B;
	query: Q;
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
	route<B extends z.ZodType = typeof NoBody, Q extends z.ZodType = typeof NoQuery>(
		method: 'GET' | 'POST',
		url: string,
		opts: RouteOptions<B, Q>,
		handler: (ctx: RouteContext<z.output<B>, z.output<Q>>) => Promise<unknown> | unknown,
	): void;
}

/** `value` checked against `schema`, else 422 naming the first bad field. */
export function parseBody<T extends z.ZodType>(schema: T, value: unknown, what = 'body'): z.output<T> {
	const r = schema.safeParse(value);
	if (!r.success) {
		const issue = r.error.issues[0]!;
		const where = issue.path.map(String).join('.') || what;
		throw new HttpError(422, `invalid request: ${where}: ${oneLine(issue.message)}`);
	}
	return r.data;
}

/** Error text safe for a one-line reply: control characters out, length bounded. */
export const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300);
