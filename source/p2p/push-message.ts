// /activation/push (BI): the pushed activation or gradient, and the 1-byte status ack that answers it.
import {ROUTE_ACTIVATION_PUSH, SERIALIZER_MSGPACK, unwrapEnvelope, wrapEnvelope} from './envelope.js';
import {FrameError} from './frame-error.js';
import {bytes, decodeBody, encodeMsgpack, optInt, optStr, str, strList} from './model-body.js';
import {isP2PStatus, statusName, type P2PStatus} from './status.js';

export type Direction = 'forward' | 'backward';

/** IOTA's ActivationPushMessage, camel-cased; the wire keeps Python's snake_case names. */
export type ActivationPush = {
	activationId: string;
	direction: Direction;
	sourceHotkey: string;
	sourceP2pNodeIds: string[];
	tensorBytes: Uint8Array;
	samplePath?: string | null;
	sourceLayer?: number | null;
	targetLayer?: number | null;
};

const WHAT = 'activation push';

/** The envelope bytes, keys in the model's field order and nil for unset optionals (as model_dump() gives). */
export function encodeActivationPush(m: ActivationPush): Uint8Array {
	const body = encodeMsgpack({
		activation_id: m.activationId,
		direction: m.direction,
		source_hotkey: m.sourceHotkey,
		source_p2p_node_ids: m.sourceP2pNodeIds,
		tensor_bytes: m.tensorBytes,
		sample_path: m.samplePath ?? null,
		source_layer: m.sourceLayer ?? null,
		target_layer: m.targetLayer ?? null,
	});
	return wrapEnvelope(ROUTE_ACTIVATION_PUSH, SERIALIZER_MSGPACK, body);
}

export function decodeActivationPush(envelope: Uint8Array): ActivationPush {
	const {serializer, body} = unwrapEnvelope(envelope, ROUTE_ACTIVATION_PUSH);
	const f = decodeBody(serializer, body, WHAT);
	const direction = str(f, 'direction', WHAT);
	if (direction !== 'forward' && direction !== 'backward') throw new FrameError(`${WHAT}.direction must be "forward" or "backward"`);
	const activationId = str(f, 'activation_id', WHAT, {max: 1024});
	if (activationId.length === 0) throw new FrameError(`${WHAT}.activation_id is empty`);
	return {
		activationId,
		direction,
		sourceHotkey: str(f, 'source_hotkey', WHAT, {max: 64}),
		sourceP2pNodeIds: strList(f, 'source_p2p_node_ids', WHAT, 16, 128),
		tensorBytes: bytes(f, 'tensor_bytes', WHAT),
		samplePath: optStr(f, 'sample_path', WHAT, 16_384),
		sourceLayer: optInt(f, 'source_layer', WHAT),
		targetLayer: optInt(f, 'target_layer', WHAT),
	};
}

export const encodePushAck = (status: P2PStatus): Uint8Array => Uint8Array.of(status);

export function decodePushAck(reply: Uint8Array): P2PStatus {
	if (!(reply instanceof Uint8Array) || reply.length !== 1) throw new FrameError(`push ack must be 1 byte, not ${reply?.length ?? 0}`);
	if (!isP2PStatus(reply[0]!)) throw new FrameError(`push ack has unknown status ${statusName(reply[0]!)}`);
	return reply[0] as P2PStatus;
}
