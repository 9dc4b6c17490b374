// Envelope bodies as Python's pydantic models dump them: a msgpack map (bytes as bin) or JSON, read strictly.
import {decode, encode} from '@msgpack/msgpack';
import {FrameError, asFrameError} from './frame-error.js';
import {SERIALIZER_MSGPACK, type Serializer} from './envelope.js';

/** Largest body accepted: IOTA's per-stream cap. */
export const MAX_BODY_BYTES = 100 * 2 ** 20;

const limits = {maxStrLength: 1 << 20, maxBinLength: MAX_BODY_BYTES, maxArrayLength: 4096, maxMapLength: 256, maxExtLength: 0};

export type Fields = Record<string, unknown>;

export const encodeMsgpack = (fields: Fields): Uint8Array => encode(fields);

export function decodeBody(serializer: Serializer, body: Uint8Array, what: string): Fields {
	if (body.length > MAX_BODY_BYTES) throw new FrameError(`${what} body is ${body.length} bytes, over the ${MAX_BODY_BYTES} cap`);
	const value = asFrameError(`${what} body`, () => serializer === SERIALIZER_MSGPACK
		? decode(body, limits)
		: JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(body)));
	if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw new FrameError(`${what} body is not a map`);
	return value as Fields;
}

// Field readers: absent (or nil for optionals) gives the default, a wrong type is refused with the field's name.
const own = (f: Fields, key: string) => (Object.hasOwn(f, key) ? f[key] : undefined);

export function str(f: Fields, key: string, what: string, opts: {default?: string; max?: number} = {}): string {
	const v = own(f, key);
	if (v === undefined && opts.default !== undefined) return opts.default;
	if (typeof v !== 'string') throw new FrameError(`${what}.${key} must be a string`);
	if (opts.max !== undefined && v.length > opts.max) throw new FrameError(`${what}.${key} is longer than ${opts.max}`);
	return v;
}

export function optStr(f: Fields, key: string, what: string, max: number): string | null {
	const v = own(f, key);
	if (v === undefined || v === null) return null;
	if (typeof v !== 'string') throw new FrameError(`${what}.${key} must be a string or nil`);
	if (v.length > max) throw new FrameError(`${what}.${key} is longer than ${max}`);
	return v;
}

export function int(f: Fields, key: string, what: string, dflt?: number): number {
	const v = own(f, key);
	if (v === undefined && dflt !== undefined) return dflt;
	if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new FrameError(`${what}.${key} must be a non-negative integer`);
	return v;
}

export function optInt(f: Fields, key: string, what: string): number | null {
	const v = own(f, key);
	if (v === undefined || v === null) return null;
	return int(f, key, what);
}

/** A Python float field: ints are accepted too, as pydantic does. */
export function float(f: Fields, key: string, what: string, dflt: number): number {
	const v = own(f, key);
	if (v === undefined) return dflt;
	if (typeof v !== 'number' || !Number.isFinite(v)) throw new FrameError(`${what}.${key} must be a finite number`);
	return v;
}

/** Python bytes: msgpack bin; in JSON, pydantic writes bytes as a UTF-8 string. */
export function bytes(f: Fields, key: string, what: string): Uint8Array {
	const v = own(f, key);
	if (v === undefined) return new Uint8Array(0);
	if (v instanceof Uint8Array) return v;
	if (typeof v === 'string') return new TextEncoder().encode(v);
	throw new FrameError(`${what}.${key} must be bytes`);
}

export function strList(f: Fields, key: string, what: string, maxItems: number, maxLen: number): string[] {
	const v = own(f, key);
	if (v === undefined) return [];
	if (!Array.isArray(v) || v.length > maxItems) throw new FrameError(`${what}.${key} must be a list of at most ${maxItems} strings`);
	for (const s of v) if (typeof s !== 'string' || s.length > maxLen) throw new FrameError(`${what}.${key} must hold strings of at most ${maxLen} characters`);
	return v as string[];
}
