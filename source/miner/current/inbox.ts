// What arrives over P2P: pushed forwards and backwards (queued for nextWork), peers' /peer/status, and
// every transfer as a `p2p` miner event; plus our own status broadcast to layers ±1 every 5 s.
import {blake3Hex} from '../../p2p/hash.js';
import type {InboundPush, P2PTransport} from '../../p2p/transport.js';
import {P2PStatus} from '../../p2p/status.js';
import type {CurrentLink} from './link.js';

export const STATUS_EVERY_MS = 5000;
/** A peer status older than this says nothing any more. */
const STATUS_STALE_MS = 20_000;

export function wireP2P(link: CurrentLink, p2p: P2PTransport): void {
	const {host} = link;
	p2p.onPush(push => accept(link, push));
	p2p.onPeerStatus((s, from) => link.peerStatus.set(from, {phase: s.layerPhase, at: Date.now()}));
	p2p.onTransfer(e => {
		if (e.kind === 'status') return;
		// A push refused by its receiver (busy, not training) moved no work: it is retried elsewhere, not counted.
		if (e.status !== P2PStatus.SUCCESS) return;
		host.dispatch({type: 'p2p', direction: e.direction, peer: e.peer, bytes: e.bytes, ms: Math.round(e.ms), hashOk: e.hash_ok !== false, at: Date.now()});
	});
	const t = setInterval(() => void broadcastStatus(link, p2p), STATUS_EVERY_MS);
	t.unref();
	link.timers.push(t);
}

/** Room for pushed forwards: generous, a refused push costs the sender a retry elsewhere. */
const forwardRoom = (link: CurrentLink) => 2 * ((link.run?.model_metadata.activation?.max_activation_cache_size ?? 4) + 1);

/** A pushed activation or gradient: checked, hashed again as stored, queued; the status byte answers the sender. */
async function accept(link: CurrentLink, push: InboundPush): Promise<P2PStatus> {
	const {host, ledger} = link;
	const layer = host.layer;
	if (push.targetLayer !== undefined && push.targetLayer !== null && push.targetLayer !== layer) return P2PStatus.ERROR;
	const bytes = push.tensorBytes.slice();
	// The copy we queue is hashed again: its hash is what we report as our input to the orchestrator's hash chain.
	if ((await blake3Hex(bytes)) !== push.hash) return P2PStatus.ERROR;
	const item = {id: push.activationId, bytes, hash: push.hash, from: push.from, sourceNodeIds: push.sourceP2pNodeIds, sourceHotkey: push.sourceHotkey, samplePath: push.samplePath ?? null};
	if (push.direction === 'forward') {
		if (layer <= 0 || ledger.forwards.length + ledger.outstanding(Date.now()) >= forwardRoom(link)) return P2PStatus.ERROR;
		if (ledger.get(item.id) || ledger.forwards.some(f => f.id === item.id)) return P2PStatus.ERROR;
		ledger.forwards.push(item);
	} else {
		// Only a backward for a forward of ours that still waits for it.
		if (!ledger.get(item.id)?.awaitingBackward || ledger.backwards.some(b => b.id === item.id)) return P2PStatus.NOT_FOUND;
		ledger.backwards.push(item);
	}
	return P2PStatus.SUCCESS;
}

/** Our queues and phase to the adjacent layers' peers (UNI, fire and forget). */
async function broadcastStatus(link: CurrentLink, p2p: P2PTransport): Promise<void> {
	const {host, ledger, peers} = link;
	if (!peers || host.stopSignal.aborted) return;
	const layer = host.layer;
	const status = {
		sourceHotkey: host.hotkey,
		forwardQueueSize: ledger.forwards.length,
		backwardQueueSize: ledger.backwards.length,
		cacheSize: ledger.outstanding(Date.now()),
		cacheCapacity: link.run?.model_metadata.activation?.max_activation_cache_size ?? 4,
		uptimeSeconds: (Date.now() - link.startedAt) / 1000,
		layerPhase: link.phase?.raw ?? 'training',
		lastStatusReceived: 0,
	};
	const targets = [...peers.inLayer(layer - 1), ...peers.inLayer(layer + 1)];
	await Promise.all(targets.map(p => p2p.sendPeerStatus(p.addr, status)));
}

/** A peer we may send forwards to: no fresh status saying it is not training. */
export function isTraining(link: CurrentLink, nodeId: string): boolean {
	const s = link.peerStatus.get(nodeId);
	return !s || Date.now() - s.at > STATUS_STALE_MS || s.phase === 'training';
}
