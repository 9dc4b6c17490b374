// Activation pull on the BI stream: the signed request and the [status][tensor] response.
// Request v2: [0x02][u64 BE ts_ms][48 B ss58, NUL-padded][64 B sr25519 sig][u16 BE len][activation_id].
import {FrameError} from './frame-error.js';
import {P2PStatus, isP2PStatus, statusName} from './status.js';

export const PULL_V1 = 0x01;
export const PULL_V2 = 0x02;
export const SS58_FIELD_BYTES = 48;
export const SIGNATURE_BYTES = 64;
/** Bytes before the activation id in a v2 request. */
export const PULL_V2_HEADER_BYTES = 1 + 8 + SS58_FIELD_BYTES + SIGNATURE_BYTES + 2;

export type SignedPullRequest = {signed: true; activationId: string; timestampMs: number; hotkey: string; signature: Uint8Array};
/** v1 carries no signature; it decodes so the server can answer UNAUTHORIZED as IOTA does. */
export type PullRequest = SignedPullRequest | {signed: false; activationId: string};
export type PullResponse = {status: P2PStatus; tensor?: Uint8Array};

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', {fatal: true});
const SS58 = /^[1-9A-HJ-NP-Za-km-z]{1,48}$/;

function idBytes(activationId: string): Uint8Array {
	const b = utf8.encode(activationId);
	if (b.length === 0 || b.length > 0xffff) throw new FrameError(`activation id must be 1..65535 UTF-8 bytes, not ${b.length}`);
	return b;
}

export function encodePullRequest(r: Omit<SignedPullRequest, 'signed'>): Uint8Array {
	const id = idBytes(r.activationId);
	const ss58 = utf8.encode(r.hotkey);
	if (!SS58.test(r.hotkey)) throw new FrameError('hotkey is not an ss58 address of at most 48 characters');
	if (r.signature.length !== SIGNATURE_BYTES) throw new FrameError(`signature must be ${SIGNATURE_BYTES} bytes, not ${r.signature.length}`);
	if (!Number.isSafeInteger(r.timestampMs) || r.timestampMs < 0) throw new FrameError('timestamp must be a non-negative integer of ms');
	const out = new Uint8Array(PULL_V2_HEADER_BYTES + id.length);
	const view = new DataView(out.buffer);
	out[0] = PULL_V2;
	view.setBigUint64(1, BigInt(r.timestampMs));
	out.set(ss58, 9);
	out.set(r.signature, 9 + SS58_FIELD_BYTES);
	view.setUint16(PULL_V2_HEADER_BYTES - 2, id.length);
	out.set(id, PULL_V2_HEADER_BYTES);
	return out;
}

/** Unsigned v1 request (`[0x01][u16 BE len][id]`); only tests and old peers send it. */
export function encodeUnsignedPullRequest(activationId: string): Uint8Array {
	const id = idBytes(activationId);
	const out = new Uint8Array(3 + id.length);
	out[0] = PULL_V1;
	new DataView(out.buffer).setUint16(1, id.length);
	out.set(id, 3);
	return out;
}

function decodeId(bytes: Uint8Array, lenAt: number): string {
	if (bytes.length < lenAt + 2) throw new FrameError(`pull request too short (${bytes.length} bytes)`);
	const len = (bytes[lenAt]! << 8) | bytes[lenAt + 1]!;
	const rest = bytes.length - lenAt - 2;
	if (len !== rest) throw new FrameError(`pull request id length ${len} does not match the ${rest} bytes left`);
	if (len === 0) throw new FrameError('pull request has an empty activation id');
	try {
		return strictUtf8.decode(bytes.subarray(lenAt + 2));
	} catch {
		throw new FrameError('pull request activation id is not UTF-8');
	}
}

export function decodePullRequest(bytes: Uint8Array): PullRequest {
	if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new FrameError('empty pull request');
	if (bytes[0] === PULL_V1) return {signed: false, activationId: decodeId(bytes, 1)};
	if (bytes[0] !== PULL_V2) throw new FrameError(`unknown pull request version 0x${bytes[0]!.toString(16).padStart(2, '0')}`);
	if (bytes.length < PULL_V2_HEADER_BYTES + 1) throw new FrameError(`pull request too short (${bytes.length} bytes)`);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const ts = view.getBigUint64(1);
	if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameError('pull request timestamp out of range');
	const field = bytes.subarray(9, 9 + SS58_FIELD_BYTES);
	const nul = field.indexOf(0);
	const used = nul === -1 ? field : field.subarray(0, nul);
	if (nul !== -1 && field.subarray(nul).some(b => b !== 0)) throw new FrameError('pull request ss58 field has bytes after its NUL padding');
	const hotkey = String.fromCharCode(...used);
	if (!SS58.test(hotkey)) throw new FrameError('pull request ss58 field is not a base58 address');
	const signature = bytes.slice(9 + SS58_FIELD_BYTES, 9 + SS58_FIELD_BYTES + SIGNATURE_BYTES);
	return {signed: true, activationId: decodeId(bytes, PULL_V2_HEADER_BYTES - 2), timestampMs: Number(ts), hotkey, signature};
}

export function encodePullResponse(status: P2PStatus, tensor?: Uint8Array): Uint8Array {
	if (!isP2PStatus(status)) throw new FrameError(`unknown status ${status}`);
	if (status !== P2PStatus.SUCCESS || !tensor) return Uint8Array.of(status);
	const out = new Uint8Array(1 + tensor.length);
	out[0] = status;
	out.set(tensor, 1);
	return out;
}

/** SUCCESS carries the tensor (a view into `bytes`); other statuses ignore trailing bytes, as IOTA's decoder does. */
export function decodePullResponse(bytes: Uint8Array): PullResponse {
	if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new FrameError('empty pull response');
	const status = bytes[0]!;
	if (!isP2PStatus(status)) throw new FrameError(`pull response has unknown status ${statusName(status)}`);
	if (status !== P2PStatus.SUCCESS) return {status};
	if (bytes.length === 1) throw new FrameError('pull response says SUCCESS but carries no tensor');
	return {status, tensor: bytes.subarray(1)};
}
