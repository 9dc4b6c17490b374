// A miner's iroh endpoint (main-thread handle): node id from the hotkey, one message per stream,
// dialing by node id + addresses, and a health check that restarts a dead endpoint with the same identity.
import {fork, type ChildProcess} from 'node:child_process';
import {EventEmitter} from 'node:events';
import {fileURLToPath} from 'node:url';
import {minerSecretKey} from './identity.js';
import {asBytes, type StreamKind} from './iroh.js';
import type {Envelope, Health, Inbound, InboundReply, PeerAddr, RelayOption, Reply, Request, Results, Stage, Timeouts, EndpointOptions} from './node-protocol.js';

export type {PeerAddr, RelayOption, Timeouts, Stage};

// Running from .ts (tsx, tests) the child needs the tsx loader; compiled, it is the .js sibling.
const fromTs = import.meta.url.endsWith('.ts');
const childPath = fileURLToPath(new URL(fromTs ? './endpoint-process.ts' : './endpoint-process.js', import.meta.url));

/** IOTA's per-stream cap. */
export const MAX_MESSAGE_BYTES = 100 * 2 ** 20;

export type NodeOptions = {
	/** The miner's ss58 hotkey; the secret key (so the node id) is derived from it. */
	hotkey?: string;
	/** Overrides the derived key (tests, tools). */
	secretKey?: Uint8Array;
	/** `host:port` to bind, e.g. 127.0.0.1:0 on the devnet; a fixed port keeps the address across restarts. */
	bindAddr?: string;
	/** Default `disabled` (devnet); real networks want `default` or `custom`. */
	relay?: RelayOption;
	/** n0 DNS discovery; off by default as in IOTA (peers come from the registry). */
	discovery?: boolean;
	maxMessageBytes?: number;
	/** How long a peer may take to send one whole inbound message. */
	inboundReadTimeoutMs?: number;
	/** How long the inbound handler may take before the stream is reset. */
	inboundReplyTimeoutMs?: number;
	/** Health check period; 0 turns the monitor off. IOTA checks every 30 s. */
	healthIntervalMs?: number;
	healthTimeoutMs?: number;
};

/** `readMs`: from the stream's arrival to its last byte. */
export type InboundMessage = {kind: StreamKind; remote: string; data: Uint8Array; readMs: number};
/** Returns the BI reply (null resets the stream); UNI replies are ignored. */
export type InboundHandler = (m: InboundMessage) => Uint8Array | null | undefined | Promise<Uint8Array | null | undefined>;

export class P2PRequestError extends Error {
	constructor(readonly stage: Stage, message: string) {
		super(message);
		this.name = 'P2PRequestError';
	}
}

export type HealthReport = {healthy: boolean; reason?: string; health?: Health};

export class P2PNode extends EventEmitter {
	private child: ChildProcess | undefined;
	private nextId = 1;
	private pending = new Map<number, {resolve: (v: any) => void; reject: (e: Error) => void}>();
	private handler: InboundHandler = () => null;
	private closing = false;
	private restarting: Promise<void> | undefined;
	private monitor: NodeJS.Timeout | undefined;
	private relayMisses = 0;
	private info: Results['start'] = {nodeId: '', directAddresses: [], relayUrl: null};
	private readonly endpointOptions: EndpointOptions;
	readonly options: NodeOptions;
	/** Restarts so far (the dashboard may show it). */
	restarts = 0;

	private constructor(options: NodeOptions) {
		super();
		this.options = options;
		const secretKey = options.secretKey ?? (options.hotkey ? minerSecretKey(options.hotkey) : undefined);
		if (!secretKey || secretKey.length !== 32) throw new Error('P2PNode needs a hotkey or a 32-byte secret key');
		this.endpointOptions = {
			secretKey,
			bindAddr: options.bindAddr,
			relay: options.relay ?? {mode: 'disabled'},
			discovery: options.discovery ?? false,
			maxMessageBytes: options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
			inboundReadTimeoutMs: options.inboundReadTimeoutMs ?? 60_000,
			inboundReplyTimeoutMs: options.inboundReplyTimeoutMs ?? 60_000,
		};
	}

	static async start(options: NodeOptions, handler?: InboundHandler): Promise<P2PNode> {
		const node = new P2PNode(options);
		if (handler) node.handler = handler;
		await node.spawn();
		const every = options.healthIntervalMs ?? 30_000;
		if (every > 0) {
			node.monitor = setInterval(() => void node.watch(), every);
			node.monitor.unref();
		}
		return node;
	}

	get nodeId(): string { return this.info.nodeId; }
	get directAddresses(): string[] { return [...this.info.directAddresses]; }
	get relayUrl(): string | null { return this.info.relayUrl; }
	/** What peers need to dial this node (publish it in the registry). */
	addr(): PeerAddr { return {nodeId: this.nodeId, directAddresses: this.directAddresses, relayUrl: this.relayUrl}; }
	get running(): boolean { return this.child !== undefined; }

	/** Asks the endpoint for its current addresses (they can change with the network or a new home relay). */
	async refreshAddr(): Promise<PeerAddr> {
		this.info = await this.call({op: 'addr'});
		return this.addr();
	}

	setHandler(handler: InboundHandler): void { this.handler = handler; }

	/** Sends one message on a fresh stream; BI resolves with the peer's whole reply, UNI with null. */
	request(peer: PeerAddr, kind: StreamKind, data: Uint8Array, timeouts: Timeouts, maxReplyBytes = MAX_MESSAGE_BYTES): Promise<Uint8Array | null> {
		return this.call({op: 'request', peer, kind, data, timeouts, maxReplyBytes})
			.then(r => (r.reply ? asBytes(r.reply) : null));
	}

	/** Dead when the endpoint process does not answer, the endpoint is closed or bound to nothing; degraded without a wanted relay. */
	async checkHealth(): Promise<HealthReport> {
		const ms = this.options.healthTimeoutMs ?? 5000;
		let timer: NodeJS.Timeout | undefined;
		try {
			const health = await Promise.race([
				this.call({op: 'health'}),
				new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms); }),
			]);
			if (health.closed) return {healthy: false, reason: 'endpoint closed', health};
			if (health.sockets === 0) return {healthy: false, reason: 'no bound sockets', health};
			if (health.relayWanted && !health.relayUrl) return {healthy: false, reason: 'no home relay', health};
			return {healthy: true, health};
		} catch (error) {
			return {healthy: false, reason: `endpoint unresponsive: ${(error as Error).message}`};
		} finally {
			clearTimeout(timer);
		}
	}

	/** Replaces the endpoint process (same secret key, so the same node id); in-flight requests fail with stage 'closed'. */
	restart(reason = 'requested'): Promise<void> {
		this.restarting ??= (async () => {
			try {
				await this.stopChild(new P2PRequestError('closed', `endpoint restarting (${reason})`));
				if (this.closing) return;
				await this.spawn();
				this.restarts++;
				this.emit('restarted', {reason, nodeId: this.nodeId, addr: this.addr()});
			} finally {
				this.restarting = undefined;
			}
		})();
		return this.restarting;
	}

	async close(): Promise<void> {
		this.closing = true;
		clearInterval(this.monitor);
		await this.restarting?.catch(() => {});
		await this.stopChild(new P2PRequestError('closed', 'endpoint closed'));
	}

	/** Kills the endpoint process as a crash would (tests of the restart path). */
	crashForTest(): void {
		this.child?.kill('SIGKILL');
	}

	private async watch(): Promise<void> {
		if (this.closing || this.restarting) return;
		const r = await this.checkHealth();
		// A missing home relay can be a passing network blip: restart only when it persists.
		this.relayMisses = r.reason === 'no home relay' ? this.relayMisses + 1 : 0;
		if (r.healthy || (r.reason === 'no home relay' && this.relayMisses < 2)) return;
		this.emit('unhealthy', r);
		await this.restart(r.reason).catch(error => this.emit('restartFailed', error));
	}

	private async spawn(): Promise<void> {
		// execArgv is set, not inherited: under `node --test` the parent's flags would make the child a test runner.
		const child = fork(childPath, [], {execArgv: fromTs ? ['--import', 'tsx'] : [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc']});
		this.child = child;
		// Keep the tail of stderr: a Rust panic explains itself there.
		let stderr = '';
		child.stderr!.on('data', d => { stderr = (stderr + String(d)).slice(-4096); });
		child.on('message', (m: Reply | Inbound) => {
			if ('type' in m) {
				void this.inbound(child, m);
				return;
			}
			const p = this.pending.get(m.id);
			if (!p) return;
			this.pending.delete(m.id);
			if (m.ok) p.resolve(m.result);
			else p.reject(m.stage ? new P2PRequestError(m.stage, m.error) : new Error(m.error));
		});
		let started = false;
		const died = (error: Error) => {
			if (this.child !== child) return;
			this.child = undefined;
			this.failPending(new P2PRequestError('closed', error.message));
			// A crashed endpoint is replaced at once unless we are shutting down or already restarting;
			// one that never started is not (a missing addon would loop), its start() fails instead.
			if (started && !this.closing && !this.restarting) void this.restart(error.message).catch(e => this.emit('restartFailed', e));
		};
		child.on('error', died);
		child.on('exit', (code, signal) => {
			const lines = stderr.split('\n');
			const why = lines.find(l => l.includes('panicked')) ?? lines.find(l => /Error\b/.test(l));
			died(new Error(`p2p endpoint process exited (${signal ?? `code ${code}`})${why ? `: ${why.trim()}` : ''}`));
		});
		try {
			this.info = await this.call({op: 'start', options: this.endpointOptions});
			started = true;
		} catch (error) {
			this.child = undefined;
			child.kill('SIGKILL');
			throw error;
		}
	}

	private async inbound(child: ChildProcess, m: Inbound): Promise<void> {
		let reply: Uint8Array | null = null;
		try {
			reply = (await this.handler({kind: m.kind, remote: m.remote, data: asBytes(m.data), readMs: m.readMs})) ?? null;
		} catch (error) {
			this.emit('handlerError', error);
		}
		if (m.kind === 'uni' || this.child !== child || !child.connected) return;
		child.send({op: 'inboundReply', inboundId: m.inboundId, data: reply} satisfies InboundReply);
	}

	private async stopChild(error: Error): Promise<void> {
		const child = this.child;
		this.child = undefined;
		this.failPending(error);
		if (!child || child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
		// Ask the endpoint to close cleanly (iroh takes up to ~3 s), but never wait on a stuck one.
		const id = this.nextId++;
		const closed = new Promise<void>(resolve => child.on('message', (r: Reply | Inbound) => { if (!('type' in r) && r.id === id) resolve(); }));
		if (child.connected) child.send({id, op: 'close'} satisfies Envelope);
		const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
		await Promise.race([exited, closed]);
		child.kill('SIGKILL');
		await exited;
		clearTimeout(timer);
	}

	private failPending(error: Error): void {
		for (const p of this.pending.values()) p.reject(error);
		this.pending.clear();
	}

	private call<K extends Request['op']>(req: Extract<Request, {op: K}>): Promise<Results[K]> {
		const child = this.child;
		if (!child || !child.connected) return Promise.reject(new P2PRequestError('closed', 'p2p endpoint is not running'));
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			this.pending.set(id, {resolve, reject});
			child.send({id, ...req} as Envelope);
		});
	}
}
