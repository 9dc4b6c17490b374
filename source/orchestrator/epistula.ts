// Epistula v2 request signing as the IOTA v1 miner does it: sr25519 over the UTF-8 string
// "{sha256hex(canonical body)}.{uuid}.{timestamp_ms}." (empty signed-for).
import {createHash, randomUUID} from 'node:crypto';
import {signatureVerify} from '@polkadot/util-crypto';
import {stringToU8a, u8aToHex} from '@polkadot/util';

export const EPISTULA_VERSION = '2';
/** Canonical text of a request without a body. */
export const EMPTY_BODY = '{}';

export interface Signer {
	address: string;
	sign(message: Uint8Array): Uint8Array;
}

export interface EpistulaHeaders {
	'Epistula-Version': string;
	'Epistula-Timestamp': string;
	'Epistula-Uuid': string;
	'Epistula-Signed-By': string;
	'Epistula-Request-Signature': string;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export const epistulaMessage = (bodyText: string, uuid: string, timestamp: string | number): string =>
	`${sha256Hex(bodyText)}.${uuid}.${timestamp}.`;

/** Headers for a request whose canonical body text is `bodyText` ('{}' when there is none). */
export function signRequest(
	signer: Signer,
	bodyText: string = EMPTY_BODY,
	opts: {timestampMs?: number; uuid?: string} = {},
): EpistulaHeaders {
	const timestamp = String(Math.round(opts.timestampMs ?? Date.now()));
	const uuid = opts.uuid ?? randomUUID();
	const signature = signer.sign(stringToU8a(epistulaMessage(bodyText, uuid, timestamp)));
	return {
		'Epistula-Version': EPISTULA_VERSION,
		'Epistula-Timestamp': timestamp,
		'Epistula-Uuid': uuid,
		'Epistula-Signed-By': signer.address,
		'Epistula-Request-Signature': u8aToHex(signature),
	};
}

export type VerifyResult = {ok: true; hotkey: string; uuid: string; timestampMs: number} | {ok: false; error: string};

/** Remembers uuids seen within the staleness window so a replayed request is refused. */
export class ReplayGuard {
	private readonly seen = new Map<string, number>();
	constructor(private readonly windowMs: number) {}
	/** False when the uuid was already used. */
	claim(uuid: string, nowMs: number): boolean {
		if (this.seen.size > 10_000) this.prune(nowMs);
		if (this.seen.has(uuid)) return false;
		this.seen.set(uuid, nowMs);
		return true;
	}
	private prune(nowMs: number): void {
		for (const [uuid, at] of this.seen) if (nowMs - at > 2 * this.windowMs) this.seen.delete(uuid);
	}
}

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | undefined => {
	const v = headers[name.toLowerCase()] ?? headers[name];
	return Array.isArray(v) ? v[0] : v;
};

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SS58 = /^[1-9A-HJ-NP-Za-km-z]{46,48}$/;

export type HeaderCheck = {ok: true; hotkey: string; uuid: string; timestamp: string; signature: string} | {ok: false; error: string};

/**
 * The cheap part of verification, done before a body is read: all headers present and well
 * formed, and the timestamp within the allowed skew. Staleness is a real check here (v1
 * compared ms with s and never expired anything).
 */
export function checkHeaders(headers: Record<string, string | string[] | undefined>, opts: {nowMs?: number; maxSkewMs?: number} = {}): HeaderCheck {
	const version = header(headers, 'Epistula-Version');
	const timestamp = header(headers, 'Epistula-Timestamp');
	const uuid = header(headers, 'Epistula-Uuid');
	const signedBy = header(headers, 'Epistula-Signed-By');
	const signature = header(headers, 'Epistula-Request-Signature');
	if (!version || !timestamp || !uuid || !signedBy || !signature) return {ok: false, error: 'missing Epistula headers'};
	if (version !== EPISTULA_VERSION) return {ok: false, error: 'unknown Epistula version'};
	if (!/^\d{1,16}$/.test(timestamp)) return {ok: false, error: 'bad timestamp'};
	if (!UUID.test(uuid)) return {ok: false, error: 'bad uuid'};
	if (!SS58.test(signedBy)) return {ok: false, error: 'bad signer address'};
	if (!/^0x[0-9a-fA-F]{128}$/.test(signature)) return {ok: false, error: 'bad signature format'};
	const nowMs = opts.nowMs ?? Date.now();
	if (Math.abs(nowMs - Number(timestamp)) > (opts.maxSkewMs ?? 10_000)) return {ok: false, error: 'stale request (timestamp too far from server time)'};
	return {ok: true, hotkey: signedBy, uuid, timestamp, signature};
}

/** Checks an incoming request. `headers` as Node gives them (lower-case names). */
export function verifyRequest(
	headers: Record<string, string | string[] | undefined>,
	bodyText: string,
	opts: {nowMs?: number; maxSkewMs?: number; replay?: ReplayGuard} = {},
): VerifyResult {
	const h = checkHeaders(headers, opts);
	if (!h.ok) return h;
	let valid = false;
	try {
		const r = signatureVerify(stringToU8a(epistulaMessage(bodyText, h.uuid, h.timestamp)), h.signature, h.hotkey);
		valid = r.isValid && r.crypto === 'sr25519';
	} catch {
		return {ok: false, error: 'bad signer address'};
	}
	if (!valid) return {ok: false, error: 'signature mismatch'};
	if (opts.replay && !opts.replay.claim(h.uuid, opts.nowMs ?? Date.now())) return {ok: false, error: 'replayed request (uuid already used)'};
	return {ok: true, hotkey: h.hotkey, uuid: h.uuid, timestampMs: Number(h.timestamp)};
}
