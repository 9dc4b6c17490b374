// Routed envelope: [u16 BE crc32(route) & 0xFFFF][serializer: 0x01 JSON | 0x02 msgpack][body].
import {crc32} from './crc32.js';
import {FrameError} from './frame-error.js';

export const ROUTE_ACTIVATION_PUSH = '/activation/push';
export const ROUTE_PEER_STATUS = '/peer/status';
export type Route = typeof ROUTE_ACTIVATION_PUSH | typeof ROUTE_PEER_STATUS;
export const ROUTES: readonly Route[] = [ROUTE_ACTIVATION_PUSH, ROUTE_PEER_STATUS];

export const SERIALIZER_JSON = 0x01;
export const SERIALIZER_MSGPACK = 0x02;
export type Serializer = typeof SERIALIZER_JSON | typeof SERIALIZER_MSGPACK;

export const routeTag = (route: string): number => crc32(new TextEncoder().encode(route)) & 0xffff;
const byTag = new Map(ROUTES.map(r => [routeTag(r), r]));

export function wrapEnvelope(route: Route, serializer: Serializer, body: Uint8Array): Uint8Array {
	const out = new Uint8Array(3 + body.length);
	const tag = routeTag(route);
	out[0] = tag >> 8;
	out[1] = tag & 0xff;
	out[2] = serializer;
	out.set(body, 3);
	return out;
}

export type Envelope = {route: Route; serializer: Serializer; body: Uint8Array};

/** The route of a well-formed envelope header, or undefined (then the BI bytes are a raw pull request). */
export function peekRoute(bytes: Uint8Array): Route | undefined {
	if (bytes.length < 3 || (bytes[2] !== SERIALIZER_JSON && bytes[2] !== SERIALIZER_MSGPACK)) return undefined;
	return byTag.get((bytes[0]! << 8) | bytes[1]!);
}

export function unwrapEnvelope(bytes: Uint8Array, expected?: Route): Envelope {
	if (!(bytes instanceof Uint8Array) || bytes.length < 3) throw new FrameError(`routed envelope too short (${bytes?.length ?? 0} bytes)`);
	const serializer = bytes[2]!;
	if (serializer !== SERIALIZER_JSON && serializer !== SERIALIZER_MSGPACK) throw new FrameError(`unknown serializer id 0x${serializer.toString(16).padStart(2, '0')}`);
	const tag = (bytes[0]! << 8) | bytes[1]!;
	const route = byTag.get(tag);
	if (!route) throw new FrameError(`unknown route tag 0x${tag.toString(16).padStart(4, '0')}`);
	if (expected && route !== expected) throw new FrameError(`envelope is for ${route}, not ${expected}`);
	return {route, serializer, body: bytes.subarray(3)};
}
