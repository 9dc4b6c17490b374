// /peer/status (UNI): the queue and cache snapshot miners broadcast to adjacent layers every 5 s.
import {ROUTE_PEER_STATUS, SERIALIZER_MSGPACK, unwrapEnvelope, wrapEnvelope} from './envelope.js';
import {decodeBody, encodeMsgpack, float, int, optStr, str} from './model-body.js';

/** IOTA's PeerStatusBroadcast, camel-cased. `minerStatus` is not in the public model (UNCONFIRMED field). */
export type PeerStatus = {
	sourceHotkey: string;
	forwardQueueSize: number;
	backwardQueueSize: number;
	cacheSize: number;
	cacheCapacity: number;
	uptimeSeconds: number;
	layerPhase: string;
	minerStatus?: string | null;
	/** Set by the receiver on arrival; 0 on the wire. */
	lastStatusReceived: number;
};

const WHAT = 'peer status';

export function encodePeerStatus(s: PeerStatus): Uint8Array {
	const fields: Record<string, unknown> = {
		source_hotkey: s.sourceHotkey,
		forward_queue_size: s.forwardQueueSize,
		backward_queue_size: s.backwardQueueSize,
		cache_size: s.cacheSize,
		cache_capacity: s.cacheCapacity,
		uptime_seconds: s.uptimeSeconds,
		layer_phase: s.layerPhase,
		last_status_received: s.lastStatusReceived,
	};
	if (s.minerStatus != null) fields.miner_status = s.minerStatus;
	return wrapEnvelope(ROUTE_PEER_STATUS, SERIALIZER_MSGPACK, encodeMsgpack(fields));
}

/** Absent fields take the model's defaults, as pydantic fills them. */
export function decodePeerStatus(envelope: Uint8Array): PeerStatus {
	const {serializer, body} = unwrapEnvelope(envelope, ROUTE_PEER_STATUS);
	const f = decodeBody(serializer, body, WHAT);
	return {
		sourceHotkey: str(f, 'source_hotkey', WHAT, {default: '', max: 64}),
		forwardQueueSize: int(f, 'forward_queue_size', WHAT, 0),
		backwardQueueSize: int(f, 'backward_queue_size', WHAT, 0),
		cacheSize: int(f, 'cache_size', WHAT, 0),
		cacheCapacity: int(f, 'cache_capacity', WHAT, 0),
		uptimeSeconds: float(f, 'uptime_seconds', WHAT, 0),
		layerPhase: str(f, 'layer_phase', WHAT, {default: 'training', max: 64}),
		minerStatus: optStr(f, 'miner_status', WHAT, 64),
		lastStatusReceived: float(f, 'last_status_received', WHAT, 0),
	};
}
