// The iroh endpoint's own process: accepts and dials QUIC streams, one whole message per stream. A separate
// process because the addon can panic and abort its process (seen once closing an endpoint), and it moves bytes
// as number[] (about a second of conversion per 4 MiB) that would stall the miner's UI.
import {ALPN_BI, ALPN_UNI, alpnOf, asBytes, asciiArray, firstLine, fromArray, iroh as loadIroh, toArray, type Iroh, type StreamKind} from './iroh.js';
import type {Envelope, Health, Inbound, InboundReply, PeerAddr, Reply, Request, Results, Stage, Timeouts, EndpointOptions} from './node-protocol.js';

if (!process.send) throw new Error('endpoint-process.ts must run as a forked child with an IPC channel');
// Loaded in start(), so a missing addon is that call's error rather than a crash.
let iroh: typeof Iroh;
const toParent = (m: Reply | Inbound) => process.send!(m);
// Orphaned (the miner died): go too.
process.on('disconnect', () => process.exit(0));

class StageError extends Error {
	constructor(readonly stage: Stage, message: string) { super(message); }
}

let endpoint: Iroh.Endpoint | undefined;
let options: EndpointOptions | undefined;
/** Our dials, one per peer and stream kind, reused for every message. */
const connections = new Map<string, Promise<Iroh.Connection>>();
/** Every open connection by remote node id, dialled or accepted (see dropPeer). */
const live = new Map<string, Set<Iroh.Connection>>();
const awaitingReply = new Map<number, (data: Uint8Array | null) => void>();
let nextInbound = 1;

/** Rejects with a StageError after `ms`, running `abandon` (reset/stop the stream) so the addon lets go too. */
function within<T>(work: Promise<T>, ms: number, stage: Stage, abandon?: () => unknown): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			Promise.resolve().then(abandon).catch(() => {});
			reject(new StageError(stage, `${stage} timed out after ${ms} ms`));
		}, ms);
	});
	return Promise.race([work.catch(error => { throw error instanceof StageError ? error : new StageError(stage, firstLine(error)); }), timeout])
		.finally(() => clearTimeout(timer));
}

function relayMode(o: EndpointOptions): Iroh.RelayMode {
	if (o.relay.mode === 'disabled') return iroh.RelayMode.disabled();
	if (o.relay.mode === 'default') return iroh.RelayMode.defaultMode();
	return iroh.RelayMode.customFromUrls(o.relay.urls);
}

async function start(o: EndpointOptions): Promise<Results['start']> {
	iroh = loadIroh();
	options = o;
	const b = iroh.Endpoint.builder();
	// Minimal = crypto only: no DNS/pkarr discovery, peers come from the registry's node id + addresses.
	if (o.discovery) b.applyN0();
	else b.applyMinimal();
	b.relayMode(relayMode(o));
	b.secretKey(toArray(o.secretKey));
	b.alpns([asciiArray(ALPN_BI), asciiArray(ALPN_UNI)]);
	if (o.bindAddr) b.bindAddr(o.bindAddr);
	endpoint = await b.bind();
	void acceptLoop(endpoint);
	// With relays, give the endpoint a moment to find its home relay so the first advertised address has it.
	if (o.relay.mode !== 'disabled') await within(endpoint.online(), 5000, 'connect').catch(() => {});
	return addrOf(endpoint);
}

function addrOf(ep: Iroh.Endpoint): Results['addr'] {
	const addr = ep.addr();
	return {nodeId: ep.id().toString(), directAddresses: addr.directAddresses(), relayUrl: addr.relayUrl()};
}

async function acceptLoop(ep: Iroh.Endpoint): Promise<void> {
	for (;;) {
		let incoming: Iroh.Incoming | null;
		try {
			incoming = await ep.acceptNext();
		} catch {
			return;
		}
		if (!incoming) return;
		void serveConnection(incoming).catch(() => {});
	}
}

function track(conn: Iroh.Connection): string {
	const remote = conn.remoteId().toString();
	const set = live.get(remote) ?? new Set();
	set.add(conn);
	live.set(remote, set);
	const untrack = () => {
		set.delete(conn);
		if (set.size === 0 && live.get(remote) === set) live.delete(remote);
	};
	conn.closed().then(untrack, untrack);
	return remote;
}

/**
 * Closes every connection to a peer after a failure. A peer that died without a goodbye (killed, crashed)
 * leaves our side of its connections open, and while any is open iroh does not complete a new dial to the
 * same node id, not even to its new address (seen with @number0/iroh 1.1.0).
 */
function dropPeer(nodeId: string): void {
	for (const kind of ['bi', 'uni'] as const) connections.delete(`${nodeId}/${kind}`);
	for (const conn of live.get(nodeId) ?? []) {
		try {
			conn.close(0n, asciiArray('stale'));
		} catch {}
	}
	live.delete(nodeId);
}

async function serveConnection(incoming: Iroh.Incoming): Promise<void> {
	const conn = await (await incoming.accept()).connect();
	const alpn = Buffer.from(conn.alpn()).toString('latin1');
	const remote = track(conn);
	// Each stream is served on its own so one slow message never holds up the next from the same peer.
	if (alpn === ALPN_BI) for (;;) void serveBi(await conn.acceptBi(), remote);
	else if (alpn === ALPN_UNI) for (;;) void serveUni(await conn.acceptUni(), remote);
	else conn.close(0n, []);
}

function toMain(kind: StreamKind, remote: string, data: Uint8Array, readMs: number): number {
	const inboundId = nextInbound++;
	toParent({type: 'inbound', inboundId, kind, remote, data, readMs});
	return inboundId;
}

async function readWhole(recv: Iroh.RecvStream): Promise<Uint8Array> {
	const o = options!;
	return fromArray(await within(recv.readToEnd(o.maxMessageBytes), o.inboundReadTimeoutMs, 'receive', () => recv.stop(0n)));
}

async function serveBi(bi: Iroh.BiStream, remote: string): Promise<void> {
	const send = bi.send;
	const recv = bi.recv;
	try {
		const t0 = performance.now();
		const data = await readWhole(recv);
		const inboundId = toMain('bi', remote, data, performance.now() - t0);
		const reply = await new Promise<Uint8Array | null>(resolve => {
			const timer = setTimeout(() => { awaitingReply.delete(inboundId); resolve(null); }, options!.inboundReplyTimeoutMs);
			awaitingReply.set(inboundId, data => { clearTimeout(timer); resolve(data); });
		});
		if (reply === null) throw new Error('no reply from the handler');
		await send.writeAll(toArray(reply));
		await send.finish();
		// Wait until the peer has the reply, as IOTA's server does, but never forever.
		await within(send.stopped(), 5000, 'send').catch(() => {});
	} catch {
		await send.reset(0n).catch(() => {});
		await recv.stop(0n).catch(() => {});
	}
}

async function serveUni(recv: Iroh.RecvStream, remote: string): Promise<void> {
	try {
		const t0 = performance.now();
		const data = await readWhole(recv);
		toMain('uni', remote, data, performance.now() - t0);
	} catch {
		await recv.stop(0n).catch(() => {});
	}
}

function connection(peer: PeerAddr, kind: StreamKind, connectMs: number, fresh: boolean): Promise<Iroh.Connection> {
	const key = `${peer.nodeId}/${kind}`;
	const cached = connections.get(key);
	if (cached && !fresh) return cached;
	const ep = endpoint;
	if (!ep) return Promise.reject(new StageError('closed', 'endpoint is not running'));
	let addr: Iroh.EndpointAddr;
	try {
		addr = new iroh.EndpointAddr(iroh.EndpointId.fromString(peer.nodeId), peer.relayUrl ?? null, peer.directAddresses ?? []);
	} catch (error) {
		return Promise.reject(new StageError('connect', `bad peer address: ${firstLine(error)}`));
	}
	const dial = ep.connect(addr, asciiArray(alpnOf(kind)));
	const pending = within(dial, connectMs, 'connect');
	// A dial that completes after its timeout is closed, not left open and untracked.
	pending.catch(() => dial.then(late => late.close(0n, asciiArray('late'))).catch(() => {}));
	connections.set(key, pending);
	const forget = () => { if (connections.get(key) === pending) connections.delete(key); };
	pending.then(conn => { track(conn); conn.closed().then(forget, forget); }).catch(forget);
	return pending;
}

async function exchange(conn: Iroh.Connection, m: Extract<Request, {op: 'request'}>): Promise<Uint8Array | null> {
	const t: Timeouts = m.timeouts;
	if (m.kind === 'uni') {
		const s = await within(conn.openUni(), t.sendMs, 'send');
		await within((async () => { await s.writeAll(toArray(m.data)); await s.finish(); await s.stopped(); })(), t.sendMs, 'send', () => s.reset(0n));
		return null;
	}
	const bi = await within(conn.openBi(), t.sendMs, 'send');
	await within((async () => { await bi.send.writeAll(toArray(m.data)); await bi.send.finish(); })(), t.sendMs, 'send', () => bi.send.reset(0n));
	return fromArray(await within(bi.recv.readToEnd(m.maxReplyBytes), t.receiveMs, 'receive', () => bi.recv.stop(0n)));
}

async function request(m: Extract<Request, {op: 'request'}>): Promise<Results['request']> {
	let conn: Iroh.Connection | undefined;
	try {
		conn = await connection(m.peer, m.kind, m.timeouts.connectMs, false);
		return {reply: await exchange(conn, m)};
	} catch (error) {
		const wasClosed = conn !== undefined && conn.closeReason() !== null;
		dropPeer(m.peer.nodeId);
		// A reused connection that turned out closed before anything was sent: redial once at once.
		if (!wasClosed || !(error instanceof StageError) || error.stage !== 'send') throw error;
		conn = await connection(m.peer, m.kind, m.timeouts.connectMs, true);
		return {reply: await exchange(conn, m)};
	}
}

function health(): Health {
	const ep = endpoint;
	if (!ep) return {closed: true, sockets: 0, relayUrl: null, relayWanted: false};
	return {closed: ep.isClosed(), sockets: ep.boundSockets().length, relayUrl: ep.addr().relayUrl(), relayWanted: options?.relay.mode !== 'disabled'};
}

async function close(): Promise<Results['close']> {
	const ep = endpoint;
	endpoint = undefined;
	for (const c of connections.values()) c.then(conn => conn.close(0n, []), () => {}).catch(() => {});
	connections.clear();
	// iroh bounds its own graceful close (about 3 s with a dial still pending); the parent kills us if it hangs.
	if (ep) await ep.close().catch(() => {});
	return {};
}

async function handle(m: Envelope): Promise<unknown> {
	switch (m.op) {
		case 'start': return start(m.options);
		case 'request': return request(m);
		case 'health': return health();
		case 'addr': return endpoint ? addrOf(endpoint) : Promise.reject(new StageError('closed', 'endpoint is not running'));
		case 'close': return close();
	}
}

process.on('message', (m: Envelope | InboundReply) => {
	if (m.op === 'inboundReply') {
		awaitingReply.get(m.inboundId)?.(m.data && asBytes(m.data));
		awaitingReply.delete(m.inboundId);
		return;
	}
	if (m.op === 'request') m.data = asBytes(m.data);
	handle(m).then(
		result => toParent({id: m.id, ok: true, result}),
		error => toParent({id: m.id, ok: false, error: firstLine(error), stage: error instanceof StageError ? error.stage : undefined}),
	);
});
