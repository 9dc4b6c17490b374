// Signing and checking activation pull requests: sr25519 over "{sha256hex(activation_id)}.{ts_ms}." (Epistula style).
import {createHash} from 'node:crypto';
import {signatureVerify} from '@polkadot/util-crypto';
import {encodePullRequest, type SignedPullRequest} from './pull-frames.js';

/** IOTA's P2P_AUTH_TIMEOUT_MS. */
export const PULL_AUTH_WINDOW_MS = 30_000;

/** Anything that signs as an sr25519 hotkey (a polkadot.js KeyringPair fits). */
export interface P2PSigner {
	address: string;
	sign(message: Uint8Array): Uint8Array;
}

const utf8 = new TextEncoder();

export const pullAuthMessage = (activationId: string, timestampMs: number): string =>
	`${createHash('sha256').update(utf8.encode(activationId)).digest('hex')}.${timestampMs}.`;

export function signPullRequest(signer: P2PSigner, activationId: string, nowMs = Date.now()): Uint8Array {
	const timestampMs = Math.round(nowMs);
	const signature = signer.sign(utf8.encode(pullAuthMessage(activationId, timestampMs)));
	return encodePullRequest({activationId, timestampMs, hotkey: signer.address, signature});
}

export type PullAuth = {ok: true; hotkey: string} | {ok: false; reason: string};

/**
 * IOTA refuses only stale requests; a timestamp more than the window in the future is refused here
 * too, so a captured request cannot be post-dated to stay valid.
 */
export function verifyPullRequest(r: SignedPullRequest, opts: {nowMs?: number; windowMs?: number} = {}): PullAuth {
	const now = opts.nowMs ?? Date.now();
	const window = opts.windowMs ?? PULL_AUTH_WINDOW_MS;
	if (r.timestampMs + window < now) return {ok: false, reason: 'request is too stale'};
	if (r.timestampMs - window > now) return {ok: false, reason: 'request timestamp is in the future'};
	try {
		const v = signatureVerify(utf8.encode(pullAuthMessage(r.activationId, r.timestampMs)), r.signature, r.hotkey);
		if (v.isValid && v.crypto === 'sr25519') return {ok: true, hotkey: r.hotkey};
		return {ok: false, reason: 'signature mismatch'};
	} catch {
		return {ok: false, reason: 'bad signer address'};
	}
}

/**
 * Signatures of pull requests already served, kept while their timestamp is inside the window: the
 * same signed request twice is a replay (an honest peer signs every request afresh; sr25519 signatures
 * are randomised, so even a retry with the same timestamp differs).
 */
export class PullReplayGuard {
	private readonly until = new Map<string, number>();
	constructor(private readonly maxEntries = 100_000) {}

	/** False when this signature was already used (or the table is full of live ones). */
	claim(r: SignedPullRequest, windowMs: number, nowMs = Date.now()): boolean {
		if (this.until.size >= this.maxEntries) for (const [k, t] of this.until) if (t < nowMs) this.until.delete(k);
		const key = Buffer.from(r.signature).toString('hex');
		const seen = this.until.get(key);
		if (seen !== undefined && seen >= nowMs) return false;
		if (this.until.size >= this.maxEntries) return false;
		this.until.set(key, Math.max(r.timestampMs, nowMs) + windowMs);
		return true;
	}
}
