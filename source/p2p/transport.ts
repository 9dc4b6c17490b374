// P2PTransport: pushes and pulls activations between miners over a P2PNode, and serves pushes, pulls and peer status.
import {EventEmitter} from 'node:events';
import {setTimeout as sleep} from 'node:timers/promises';
import {PULL_AUTH_WINDOW_MS, PullReplayGuard, signPullRequest, verifyPullRequest, type P2PSigner, type PullAuth} from './auth.js';
import {ActivationCache, type CacheOptions} from './cache.js';
import {ROUTE_ACTIVATION_PUSH, ROUTE_PEER_STATUS, peekRoute} from './envelope.js';
import {FrameError} from './frame-error.js';
import {blake3Hex} from './hash.js';
import {KeyedLimiter} from './limiter.js';
import {MAX_MESSAGE_BYTES, P2PNode, P2PRequestError, type InboundMessage, type NodeOptions, type PeerAddr, type Timeouts} from './node.js';
import {decodePeerStatus, encodePeerStatus, type PeerStatus} from './peer-status.js';
import {decodePullRequest, decodePullResponse, encodePullResponse} from './pull-frames.js';
import {decodeActivationPush, decodePushAck, encodeActivationPush, encodePushAck, type ActivationPush} from './push-message.js';
import {P2PStatus} from './status.js';

/** IOTA's sender timeouts: connect 5 s, send 30 s, receive 15 s. */
export const DEFAULT_TIMEOUTS: Timeouts = {connectMs: 5000, sendMs: 30_000, receiveMs: 15_000};

export type TransportOptions = Omit<NodeOptions, 'hotkey'> & {
	hotkey: string;
	cache?: ActivationCache | CacheOptions;
	timeouts?: Partial<Timeouts>;
	/** Extra attempts after a transport failure (IOTA: 2); a status from the peer is never retried. */
	retries?: number;
	retryDelayMs?: number;
	/** Pushes and pulls in flight to one peer (IOTA: 2). */
	perPeerLimit?: number;
	authWindowMs?: number;
	/** Extra gate on who may pull (e.g. hotkeys in the run); the signature is always checked. */
	allowPuller?: (hotkey: string) => boolean;
};

export type TransferKind = 'push' | 'pull' | 'status';
/** One transfer for the dashboard; `direction` is the way the tensor bytes went. */
export type TransferEvent = {
	direction: 'in' | 'out';
	kind: TransferKind;
	peer: string;
	activationId?: string;
	bytes: number;
	ms: number;
	/** BLAKE3 matched the expected hash; null when there was none to compare. */
	hash_ok: boolean | null;
	status: P2PStatus;
	error?: string;
};

export type PushResult = {status: P2PStatus; bytes: number; ms: number; attempts: number; error?: string};
export type PullResult = {status: P2PStatus; tensor?: Uint8Array; hash?: string; hashOk: boolean | null; bytes: number; ms: number; attempts: number; error?: string};
/** A received push with the sender's node id and the BLAKE3 of its tensor bytes. */
export type InboundPush = ActivationPush & {from: string; hash: string};
export type PushHandler = (push: InboundPush) => P2PStatus | Promise<P2PStatus>;
export type PeerStatusHandler = (status: PeerStatus, from: string) => void;

const failure = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

export class P2PTransport extends EventEmitter {
	readonly cache: ActivationCache;
	private readonly timeouts: Timeouts;
	private readonly limiter: KeyedLimiter;
	private pushHandler: PushHandler | undefined;
	private statusHandler: PeerStatusHandler | undefined;
	private isTraining = false;
	private readonly replays = new PullReplayGuard();

	private constructor(readonly node: P2PNode, readonly options: TransportOptions) {
		super();
		this.cache = options.cache instanceof ActivationCache ? options.cache : new ActivationCache(options.cache);
		this.timeouts = {...DEFAULT_TIMEOUTS, ...options.timeouts};
		this.limiter = new KeyedLimiter(options.perPeerLimit ?? 2);
		node.setHandler(m => this.inbound(m));
	}

	static async start(options: TransportOptions): Promise<P2PTransport> {
		const node = await P2PNode.start(options);
		return new P2PTransport(node, options);
	}

	get nodeId(): string { return this.node.nodeId; }
	addr(): PeerAddr { return this.node.addr(); }

	/** Forwards are refused (ERROR) unless the miner's layer is training, as IOTA's miners do. */
	setTraining(on: boolean): void { this.isTraining = on; }
	get training(): boolean { return this.isTraining; }

	onPush(handler: PushHandler): void { this.pushHandler = handler; }
	onPeerStatus(handler: PeerStatusHandler): void { this.statusHandler = handler; }
	onTransfer(listener: (e: TransferEvent) => void): this { return this.on('transfer', listener); }

	/** Highest number of transfers seen in flight to one peer. */
	peakInFlight(nodeId: string): number { return this.limiter.peak.get(nodeId) ?? 0; }

	async push(peer: PeerAddr, message: ActivationPush): Promise<PushResult> {
		const envelope = encodeActivationPush(message);
		return this.limiter.run(peer.nodeId, async () => {
			const t0 = performance.now();
			let attempts = 0;
			let status: P2PStatus = P2PStatus.ERROR;
			let error: string | undefined;
			for (;;) {
				attempts++;
				try {
					const reply = await this.node.request(peer, 'bi', envelope, this.timeouts, 16);
					status = decodePushAck(reply ?? new Uint8Array(0));
					error = undefined;
					break;
				} catch (e) {
					error = failure(e);
					if (!this.retryable(e, attempts)) break;
					await sleep(this.options.retryDelayMs ?? 250);
				}
			}
			const ms = performance.now() - t0;
			this.emitTransfer({direction: 'out', kind: 'push', peer: peer.nodeId, activationId: message.activationId, bytes: envelope.length, ms, hash_ok: null, status, error});
			return {status, bytes: envelope.length, ms, attempts, ...(error ? {error} : {})};
		});
	}

	/** Pulls an activation from the peer that cached it; the tensor is withheld when it fails `expectedHash`. */
	async pull(peer: PeerAddr, activationId: string, signer: P2PSigner, opts: {expectedHash?: string; signedAtMs?: number} = {}): Promise<PullResult> {
		return this.limiter.run(peer.nodeId, async () => {
			const t0 = performance.now();
			let attempts = 0;
			let result: Omit<PullResult, 'ms' | 'attempts'> = {status: P2PStatus.ERROR, hashOk: null, bytes: 0};
			for (;;) {
				attempts++;
				try {
					// Signed per attempt: a retry must not run into the 30 s window.
					const request = signPullRequest(signer, activationId, opts.signedAtMs ?? Date.now());
					const reply = (await this.node.request(peer, 'bi', request, this.timeouts)) ?? new Uint8Array(0);
					const r = decodePullResponse(reply);
					result = {status: r.status, hashOk: null, bytes: reply.length};
					if (r.tensor) {
						const hash = await blake3Hex(r.tensor);
						const hashOk = opts.expectedHash === undefined ? null : hash === opts.expectedHash.toLowerCase();
						result = {...result, hash, hashOk, ...(hashOk === false ? {error: 'BLAKE3 mismatch'} : {tensor: r.tensor})};
					}
					break;
				} catch (e) {
					result = {status: P2PStatus.ERROR, hashOk: null, bytes: 0, error: failure(e)};
					if (!this.retryable(e, attempts)) break;
					await sleep(this.options.retryDelayMs ?? 250);
				}
			}
			const ms = performance.now() - t0;
			this.emitTransfer({direction: 'in', kind: 'pull', peer: peer.nodeId, activationId, bytes: result.bytes, ms, hash_ok: result.hashOk, status: result.status, error: result.error});
			return {...result, ms, attempts};
		});
	}

	/** One /peer/status broadcast (UNI, no answer); false when it could not be delivered. */
	async sendPeerStatus(peer: PeerAddr, status: PeerStatus): Promise<boolean> {
		try {
			await this.node.request(peer, 'uni', encodePeerStatus(status), this.timeouts);
			return true;
		} catch {
			return false;
		}
	}

	async close(): Promise<void> {
		await this.node.close();
	}

	private retryable(error: unknown, attempts: number): boolean {
		return error instanceof P2PRequestError && error.stage !== 'closed' && attempts <= (this.options.retries ?? 2);
	}

	private emitTransfer(e: TransferEvent): void {
		if (e.error === undefined) delete e.error;
		this.emit('transfer', e);
	}

	private async inbound(m: InboundMessage): Promise<Uint8Array | null> {
		if (m.kind === 'uni') {
			if (peekRoute(m.data) === ROUTE_PEER_STATUS) this.servePeerStatus(m);
			return null;
		}
		// BI: a routed /activation/push, else the raw pull request (IOTA's default BI handler).
		if (peekRoute(m.data) === ROUTE_ACTIVATION_PUSH) return encodePushAck(await this.servePush(m));
		return this.servePull(m);
	}

	private servePeerStatus(m: InboundMessage): void {
		try {
			const status = decodePeerStatus(m.data);
			this.statusHandler?.({...status, lastStatusReceived: Date.now() / 1000}, m.remote);
		} catch (error) {
			this.emit('refused', {kind: 'status', peer: m.remote, error: failure(error)});
		}
	}

	private async servePush(m: InboundMessage): Promise<P2PStatus> {
		const t0 = performance.now();
		let status: P2PStatus = P2PStatus.ERROR;
		let error: string | undefined;
		let push: ActivationPush | undefined;
		try {
			push = decodeActivationPush(m.data);
			if (push.direction === 'forward' && !this.isTraining) error = 'forward refused: not training';
			else if (!this.pushHandler) error = 'no push handler';
			else status = await this.pushHandler({...push, from: m.remote, hash: await blake3Hex(push.tensorBytes)});
		} catch (e) {
			status = P2PStatus.ERROR;
			error = failure(e);
		}
		this.emitTransfer({direction: 'in', kind: 'push', peer: m.remote, activationId: push?.activationId, bytes: m.data.length, ms: m.readMs + performance.now() - t0, hash_ok: null, status, error});
		return status;
	}

	private async servePull(m: InboundMessage): Promise<Uint8Array> {
		const t0 = performance.now();
		let status: P2PStatus;
		let tensor: Uint8Array | undefined;
		let activationId: string | undefined;
		let error: string | undefined;
		try {
			const request = decodePullRequest(m.data);
			activationId = request.activationId;
			const windowMs = this.options.authWindowMs ?? PULL_AUTH_WINDOW_MS;
			let auth: PullAuth = request.signed ? verifyPullRequest(request, {windowMs}) : {ok: false as const, reason: 'unsigned request'};
			// Checked after the signature, so a forged request cannot use up a real one's signature.
			if (auth.ok && request.signed && !this.replays.claim(request, windowMs)) auth = {ok: false, reason: 'replayed request (signature already used)'};
			if (!auth.ok) {
				status = P2PStatus.UNAUTHORIZED;
				error = auth.reason;
			} else if (this.options.allowPuller && !this.options.allowPuller(auth.hotkey)) {
				status = P2PStatus.UNAUTHORIZED;
				error = `hotkey ${auth.hotkey} may not pull`;
			} else {
				const found = this.cache.get(request.activationId);
				status = found.status === 'hit' ? P2PStatus.SUCCESS : found.status === 'expired' ? P2PStatus.EXPIRED : P2PStatus.NOT_FOUND;
				if (found.status === 'hit') tensor = found.entry.bytes;
			}
		} catch (e) {
			status = P2PStatus.ERROR;
			error = e instanceof FrameError ? e.message : failure(e);
		}
		const reply = encodePullResponse(status, tensor);
		this.emitTransfer({direction: 'out', kind: 'pull', peer: m.remote, activationId, bytes: reply.length, ms: m.readMs + performance.now() - t0, hash_ok: null, status, error});
		return reply;
	}
}

export {MAX_MESSAGE_BYTES};
