// Typed messages between P2PNode and the iroh endpoint process (IPC with advanced serialization, so bytes stay bytes).
import type {StreamKind} from './iroh.js';

/** How to reach a peer: its node id plus whatever addresses the registry gave. */
export type PeerAddr = {nodeId: string; directAddresses?: string[]; relayUrl?: string | null};

/** `disabled` for the devnet and tests; `default` is n0's public relays; `custom` names relay URLs. */
export type RelayOption = {mode: 'disabled'} | {mode: 'default'} | {mode: 'custom'; urls: string[]};

export type EndpointOptions = {
	secretKey: Uint8Array;
	bindAddr?: string;
	relay: RelayOption;
	/** n0 discovery (DNS/pkarr); IOTA runs with it off and dials from its own registry. */
	discovery: boolean;
	maxMessageBytes: number;
	inboundReadTimeoutMs: number;
	inboundReplyTimeoutMs: number;
};

export type Timeouts = {connectMs: number; sendMs: number; receiveMs: number};
export type Stage = 'connect' | 'send' | 'receive' | 'closed';

export type Request =
	| {op: 'start'; options: EndpointOptions}
	| {op: 'request'; peer: PeerAddr; kind: StreamKind; data: Uint8Array; timeouts: Timeouts; maxReplyBytes: number}
	| {op: 'health'}
	| {op: 'addr'}
	| {op: 'close'};

export type Health = {closed: boolean; sockets: number; relayUrl: string | null; relayWanted: boolean};
export type Results = {
	start: Results['addr'];
	request: {reply: Uint8Array | null};
	health: Health;
	addr: {nodeId: string; directAddresses: string[]; relayUrl: string | null};
	close: {};
};

export type Envelope = {id: number} & Request;
export type Reply = {id: number; ok: true; result: unknown} | {id: number; ok: false; error: string; stage?: Stage};

/** Endpoint -> miner: a whole inbound message; BI ones wait for an InboundReply with the same id. */
export type Inbound = {type: 'inbound'; inboundId: number; kind: StreamKind; remote: string; data: Uint8Array; readMs: number};
export type InboundReply = {op: 'inboundReply'; inboundId: number; data: Uint8Array | null};
