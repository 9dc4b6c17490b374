// Epistula as spec 30017 signs and checks requests: sr25519 over "{sha256hex(body)}.{timestamp_ms}." (no uuid).
import {randomUUID} from 'node:crypto';
import {signatureVerify} from '@polkadot/util-crypto';
import {stringToU8a, u8aToHex} from '@polkadot/util';
import {canonicalJson, PyFloat, type PyJson} from '../canonical-json.js';
import {sha256Hex, type Signer} from '../epistula.js';

export const SPEC_VERSION = 30017;
/** Request age the server accepts; the real server's value is not public, its tests use 60 s. */
export const DEFAULT_TIMEOUT_S = 60;
export const EPISTULA_ERROR_STATUS = 400;

export interface CurrentHeaders {
	'Epistula-Timestamp': string;
	'Epistula-Signed-By': string;
	'Epistula-Request-Signature': string;
	'X-Spec-Version': string;
	'X-Request-Id': string;
	'X-Is-Mounted': 'true' | 'false';
}

/** Python's `not body`: None, {} and [] are all signed as "{}" (undefined members are absent). */
function isFalsyBody(body: PyJson | undefined): boolean {
	if (body === undefined || body === null) return true;
	if (Array.isArray(body)) return body.length === 0;
	if (typeof body === 'object' && !(body instanceof PyFloat)) return Object.values(body).every(v => v === undefined);
	return false;
}

/** The text whose sha256 is signed: `json.dumps(body or {}, sort_keys=True, default=str)`. */
export function signedBodyText(body: PyJson | undefined): string {
	return isFalsyBody(body) ? '{}' : canonicalJson(body);
}

export const signedMessage = (bodyText: string, timestamp: string): string => `${sha256Hex(bodyText)}.${timestamp}.`;

/** Headers for one logical request; retries send the very same headers (same id and timestamp). */
export function signCurrent(
	signer: Signer,
	bodyText: string,
	opts: {timestampMs?: number; requestId?: string; isMounted?: boolean; specVersion?: number} = {},
): CurrentHeaders {
	const timestamp = String(Math.round(opts.timestampMs ?? Date.now()));
	return {
		'Epistula-Timestamp': timestamp,
		'Epistula-Signed-By': signer.address,
		'Epistula-Request-Signature': u8aToHex(signer.sign(stringToU8a(signedMessage(bodyText, timestamp)))),
		'X-Spec-Version': String(opts.specVersion ?? SPEC_VERSION),
		'X-Request-Id': opts.requestId ?? randomUUID(),
		'X-Is-Mounted': opts.isMounted ? 'true' : 'false',
	};
}

/** The 400 body the server sends when a request fails authentication. */
export function epistulaErrorBody(error: string): {detail: {error: string; message: string; name: 'EpistulaError'}} {
	return {detail: {error, message: `EpistulaError: ${error}`, name: 'EpistulaError'}};
}

/** Request ids seen and still inside their staleness window: a replay within it is refused. */
export class RequestIdGuard {
	private readonly until = new Map<string, number>();
	constructor(private readonly maxEntries = 100_000) {}
	/** False when the id is already in use (or the table is full of live ids). */
	claim(id: string, expiresAtMs: number, nowMs: number): boolean {
		if (this.until.size >= this.maxEntries) this.prune(nowMs);
		const seen = this.until.get(id);
		if (seen !== undefined && seen >= nowMs) return false;
		if (this.until.size >= this.maxEntries) return false;
		this.until.set(id, expiresAtMs);
		return true;
	}
	/** Forget an id, so a retry after a refusal that did no work (429, 5xx) is accepted. */
	release(id: string): void {
		this.until.delete(id);
	}
	get size(): number {
		return this.until.size;
	}
	private prune(nowMs: number): void {
		for (const [id, until] of this.until) if (until < nowMs) this.until.delete(id);
	}
}

export const REPLAYED = 'Replayed request (X-Request-Id already used)';

/**
 * Takes the request's id for as long as its timestamp is valid (a future one stays valid longer, so
 * its id is kept as long). A server calls this after it knows the signer is registered, so keys off
 * the metagraph cannot fill the table with far-future ids.
 */
export function claimRequestId(guard: RequestIdGuard, requestId: string, tsMs: number, opts: {nowMs?: number; timeoutS?: number} = {}): boolean {
	const nowMs = opts.nowMs ?? Date.now();
	return guard.claim(requestId, Math.max(tsMs, nowMs) + (opts.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000, nowMs);
}

export type CurrentVerifyResult =
	| {ok: true; hotkey: string; requestId: string; timestampMs: number; specVersion: string | undefined; isMounted: boolean}
	| {ok: false; error: string};

type Headers = Record<string, string | string[] | undefined>;
const header = (h: Headers, name: string): string | undefined => {
	const v = h[name.toLowerCase()] ?? h[name];
	return Array.isArray(v) ? v[0] : v;
};

// What Python's float() takes in practice for a ms timestamp (digits, fraction, exponent).
const TIMESTAMP = /^[+-]?(\d{1,20}(\.\d{0,20})?|\.\d{1,20})([eE][+-]?\d{1,3})?$/;
const SIGNATURE = /^0x[0-9a-fA-F]{128}$/;

/**
 * Server-side check of a request, as spec 30017's verify_signature_v2 does it, plus a replay
 * guard on X-Request-Id. `bodyText` is signedBodyText() of the parsed body.
 */
export function verifyCurrent(headers: Headers, bodyText: string, opts: {nowMs?: number; timeoutS?: number; guard?: RequestIdGuard} = {}): CurrentVerifyResult {
	const timestamp = header(headers, 'Epistula-Timestamp');
	const signedBy = header(headers, 'Epistula-Signed-By');
	const signature = header(headers, 'Epistula-Request-Signature');
	const requestId = header(headers, 'X-Request-Id');
	for (const [name, value] of [['Epistula-Timestamp', timestamp], ['Epistula-Signed-By', signedBy], ['Epistula-Request-Signature', signature], ['X-Request-Id', requestId]] as const) {
		if (!value) return {ok: false, error: `Missing header ${name}`};
	}
	if (!TIMESTAMP.test(timestamp!) || !Number.isFinite(Number(timestamp))) return {ok: false, error: 'Invalid Timestamp'};
	if (requestId!.length > 128) return {ok: false, error: 'Invalid Request Id'};
	const tsMs = Math.trunc(Number(timestamp));
	const nowMs = opts.nowMs ?? Date.now();
	const windowMs = (opts.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000;
	// Python's rule: only too old is refused, a timestamp in the future is not.
	if (tsMs + windowMs < nowMs) return {ok: false, error: 'Request is too stale'};
	if (!SIGNATURE.test(signature!)) return {ok: false, error: 'Invalid Signature'};
	let valid: boolean;
	try {
		const r = signatureVerify(stringToU8a(signedMessage(bodyText, timestamp!)), signature!, signedBy!);
		valid = r.isValid && r.crypto === 'sr25519';
	} catch {
		return {ok: false, error: 'Invalid Sender key'};
	}
	if (!valid) return {ok: false, error: 'Signature Mismatch'};
	if (opts.guard && !claimRequestId(opts.guard, requestId!, tsMs, {nowMs, timeoutS: opts.timeoutS})) return {ok: false, error: REPLAYED};
	return {ok: true, hotkey: signedBy!, requestId: requestId!, timestampMs: tsMs, specVersion: header(headers, 'X-Spec-Version'), isMounted: header(headers, 'X-Is-Mounted') === 'true'};
}
