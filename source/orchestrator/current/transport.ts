// One signed spec-30017 request with the Python client's retry policy, a size cap, and a validated reply.
import type {z} from 'zod';
import {canonicalJson, type PyJson} from '../canonical-json.js';
import type {Signer} from '../epistula.js';
import {ClockSkew} from '../clock-skew.js';
import {send, TransportError, type HttpResponse} from '../http.js';
import {abortableSleep} from '../sleep.js';
import {CurrentRequestError, errorFromReply, isErrorReply, oneLine} from './errors.js';
import {signCurrent, signedBodyText, SPEC_VERSION} from './signing.js';

export interface TransportOptions {
	/** e.g. https://iota.api.macrocosmos.ai:443 */
	baseUrl: string;
	signer: Signer;
	/** X-Is-Mounted: only the Electron app is mounted. */
	isMounted?: boolean;
	specVersion?: number;
	/** Per attempt, reply included (CLIENT_REQUEST_TIMEOUT is 40 s). */
	timeoutMs?: number;
	/** Attempts per request (REQUEST_RETRY_COUNT is 3). */
	attempts?: number;
	/** After a 429 the i-th retry (from 0) waits base * 2^i (Python: 2^i s). */
	rateLimitBackoffMs?: number;
	/** After any other failure (Python: 1 s). */
	errorBackoffMs?: number;
	/** Largest reply read. */
	maxReplyBytes?: number;
	/** Stops requests in flight and backoffs. */
	signal?: AbortSignal;
	/** Clock for the Epistula timestamp. */
	now?: () => number;
	onRetry?: (info: {route: string; attempt: number; reason: string; delayMs: number}) => void;
}

export const DEFAULT_MAX_REPLY_BYTES = 4 * 1024 * 1024;

export type CallOptions = {body?: PyJson; query?: Record<string, string>; attempts?: number};

export class SignedTransport {
	readonly baseUrl: string;
	/** Our clock against the orchestrator's (Date headers). */
	readonly clock = new ClockSkew();
	private readonly o: Required<Omit<TransportOptions, 'signal' | 'onRetry'>> & Pick<TransportOptions, 'signal' | 'onRetry'>;

	constructor(opts: TransportOptions) {
		this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
		this.o = {isMounted: false, specVersion: SPEC_VERSION, timeoutMs: 40_000, attempts: 3, rateLimitBackoffMs: 1000, errorBackoffMs: 1000, maxReplyBytes: DEFAULT_MAX_REPLY_BYTES, now: Date.now, ...opts};
	}

	get hotkey(): string {
		return this.o.signer.address;
	}

	/** Sends `body` as its canonical text (no body: nothing sent, "{}" signed) and returns the validated reply. */
	async call<T extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: T, opts: CallOptions = {}): Promise<z.output<T>> {
		const route = `${method} ${path}`;
		const qs = opts.query ? `?${new URLSearchParams(opts.query)}` : '';
		const wire = opts.body === undefined ? undefined : canonicalJson(opts.body);
		// Signed once: every attempt carries the same timestamp, request id and signature.
		const headers: Record<string, string> = {...signCurrent(this.o.signer, signedBodyText(opts.body), {timestampMs: this.o.now(), isMounted: this.o.isMounted, specVersion: this.o.specVersion})};
		if (wire !== undefined) headers['Content-Type'] = 'application/json';
		const attempts = Math.max(1, opts.attempts ?? this.o.attempts);
		let last: CurrentRequestError | undefined;
		for (let i = 0; i < attempts; i++) {
			let res: HttpResponse;
			try {
				res = await send(`${this.baseUrl}${path}${qs}`, {method, headers, body: wire, timeoutMs: this.o.timeoutMs, deadlineMs: this.o.timeoutMs, maxBytes: this.o.maxReplyBytes, signal: this.o.signal});
				this.clock.note(res);
			} catch (error) {
				if (!(error instanceof TransportError)) throw error;
				if (!error.retriable) throw new CurrentRequestError(route, 0, error.message);
				last = new CurrentRequestError(route, 0, `cannot reach ${this.baseUrl}: ${error.message}`);
				await this.backoff(route, i, attempts, last.detail, this.o.errorBackoffMs);
				continue;
			}
			if (res.status === 429) {
				last = new CurrentRequestError(route, 429, 'rate limited');
				await this.backoff(route, i, attempts, 'HTTP 429', this.o.rateLimitBackoffMs * 2 ** i);
				continue;
			}
			// Redirects are not followed: the signed request would go elsewhere.
			if (res.status >= 300 && res.status < 400) throw new CurrentRequestError(route, res.status, 'redirect refused');
			if (res.status !== 200) {
				const skew = res.status === 400 ? this.clock.text() : null;
				last = new CurrentRequestError(route, res.status, skew ? `${errorDetail(res)} (${skew})` : errorDetail(res));
				await this.backoff(route, i, attempts, `HTTP ${res.status}`, this.o.errorBackoffMs);
				continue;
			}
			let json: unknown;
			try {
				json = JSON.parse(res.text);
			} catch {
				last = new CurrentRequestError(route, 200, `reply is not JSON: "${oneLine(res.text, 40)}"`);
				await this.backoff(route, i, attempts, 'reply is not JSON', this.o.errorBackoffMs);
				continue;
			}
			if (isErrorReply(json)) throw errorFromReply(json, route);
			const parsed = schema.safeParse(json);
			if (!parsed.success) {
				const issue = parsed.error.issues[0];
				throw new CurrentRequestError(route, 200, `unexpected reply: ${issue?.path.join('.') || '(root)'}: ${oneLine(issue?.message ?? '?', 120)}`);
			}
			return parsed.data;
		}
		throw new CurrentRequestError(last!.route, last!.status, `${last!.detail} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
	}

	private async backoff(route: string, i: number, attempts: number, reason: string, delayMs: number): Promise<void> {
		if (i + 1 >= attempts) return;
		this.o.onRetry?.({route, attempt: i + 1, reason, delayMs});
		await abortableSleep(delayMs, this.o.signal, () => new CurrentRequestError(route, 0, 'stopped'));
	}
}

/** FastAPI's {"detail": "..."} or the Epistula {"detail": {"message": ...}}, else the start of the text. */
function errorDetail(res: HttpResponse): string {
	try {
		const d = (JSON.parse(res.text) as {detail?: unknown}).detail;
		if (typeof d === 'string') return oneLine(d);
		if (d && typeof d === 'object' && typeof (d as {message?: unknown}).message === 'string') return oneLine((d as {message: string}).message);
		if (d !== undefined) return oneLine(JSON.stringify(d));
	} catch {
		// not JSON
	}
	return oneLine(res.text) || `HTTP ${res.status}`;
}
