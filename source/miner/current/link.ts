// The current adapter's shared state: the signed client, the P2P transport, the peer registry, the run
// this miner joined (from its registration) and the ledger of activations it works on.
import type {Signer} from '../../orchestrator/epistula.js';
import {CurrentClient} from '../../orchestrator/current/client.js';
import type {Registered} from '../../orchestrator/current/registration.js';
import type {TransferOptions} from '../../orchestrator/transfer.js';
import type {P2PTransport} from '../../p2p/transport.js';
import type {RelayOption} from '../../p2p/node.js';
import type {SampleTokenizer} from '../../training/head-data.js';
import type {ModelConfig} from '../../training/config.js';
import type {ProtocolHost} from '../protocol.js';
import type {Phase} from '../types.js';
import {Ledger} from './ledger.js';
import type {PeerRegistry} from './peers.js';

export type CurrentOptions = {
	url: string;
	signer: Signer;
	/** The miner's --model: the run's model_cfg must match it. */
	model: ModelConfig;
	tokenizer: SampleTokenizer;
	bridgeUrl?: string;
	/** The local devnet's orchestrator: its /bridge is the registry; unset: a loopback URL means a devnet. */
	devnetOnly?: boolean;
	p2p?: {bindAddr?: string; relay?: RelayOption};
	attempts?: number;
	backoffMs?: number;
	/** Hostnames sample URLs may point at besides the orchestrator's; unset: any http(s) host. */
	storeHosts?: string[];
	/** A forward whose backward has not come back within this time no longer fills the cache (default 120 s). */
	activationTimeoutMs?: number;
};

export type CurrentLink = {
	host: ProtocolHost;
	o: CurrentOptions;
	client: CurrentClient;
	p2p: P2PTransport | null;
	peers: PeerRegistry | null;
	run: Registered | null;
	ledger: Ledger;
	/** The layer's phase as last heard, and when. */
	phase: {phase: Phase; raw: string; epoch: number; at: number} | null;
	/** Peers' last /peer/status by node id: a peer that says it is not training is not sent forwards. */
	peerStatus: Map<string, {phase: string; at: number}>;
	/** Background timers and sends; close() ends them. */
	timers: NodeJS.Timeout[];
	sends: Set<Promise<void>>;
	/** The layer's weights at the start of the epoch (bf16): the pseudo-gradient is taken against them. */
	snapshot: Uint16Array | null;
	/** The layer's merged partitions as last listed, and how often they changed since we joined. */
	mergeSig: string | null;
	merges: number;
	startedAt: number;
	xfer(maxBytes: number): TransferOptions;
};

export function openLink(host: ProtocolHost, o: CurrentOptions): CurrentLink {
	const client = new CurrentClient({
		baseUrl: o.url,
		signer: o.signer,
		attempts: o.attempts ?? 3,
		errorBackoffMs: o.backoffMs ?? 1000,
		rateLimitBackoffMs: o.backoffMs ?? 1000,
		timeoutMs: 40_000,
		signal: host.stopSignal,
		onRetry: r => host.log('warn', `${r.route}: ${r.reason}, retry ${r.attempt} in ${Math.round(r.delayMs)} ms`),
	});
	const allowHosts = o.storeHosts ? [new URL(o.url).hostname, ...o.storeHosts] : undefined;
	return {
		host,
		o,
		client,
		p2p: null,
		peers: null,
		run: null,
		ledger: new Ledger(o.activationTimeoutMs ?? 120_000),
		phase: null,
		peerStatus: new Map(),
		timers: [],
		sends: new Set(),
		snapshot: null,
		mergeSig: null,
		merges: 0,
		startedAt: Date.now(),
		xfer: maxBytes => ({allowHosts, maxBytes, signal: host.stopSignal, backoffMs: o.backoffMs ?? 1000, onLink: host.storeLink}),
	};
}

/** The run's [B, S] (model_metadata.dataset), else the model config's. */
export function batchShape(link: CurrentLink): {size: number; seqLen: number} {
	const d = link.run?.model_metadata.dataset;
	return {size: d?.mini_batch_size ?? link.o.model.batchSize, seqLen: d?.sequence_length ?? link.o.model.seqLen};
}
