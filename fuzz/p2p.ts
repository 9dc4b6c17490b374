// The P2P fuzz target: hostile messages against the real P2PTransport. The bulk goes straight into its
// inbound handler (a stand-in node, no sockets); a sample of each category then goes over the loopback
// between two real iroh endpoints, to prove the wiring. Per category: tried, crashed (an exception
// escaped, or the serving endpoint stopped answering), accepted (a pull answered SUCCESS, a push handed
// on, a tampered tensor returned by pull), hung (no answer within the deadline).
import {EventEmitter} from 'node:events';
import {Keyring} from '@polkadot/keyring';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {signPullRequest} from '../source/p2p/auth.js';
import {blake3Hex} from '../source/p2p/hash.js';
import type {InboundMessage, PeerAddr} from '../source/p2p/node.js';
import {decodePullResponse, encodePullResponse} from '../source/p2p/pull-frames.js';
import {decodePushAck} from '../source/p2p/push-message.js';
import {P2PStatus} from '../source/p2p/status.js';
import {P2PTransport} from '../source/p2p/transport.js';
import {framingCases, hashCases, oversizedCases, replayCases, signatureCases, staleCases, truncatedCases, type Keys, type P2PCase} from './p2p-cases.js';
import type {FuzzOptions, FuzzRow, FuzzTarget} from './types.js';

const DEADLINE_MS = 15_000;
const TIMEOUTS = {connectMs: 5000, sendMs: 10_000, receiveMs: 10_000};
const CACHED_ID = 'fuzz-cached-activation';
const TENSOR = Uint8Array.from({length: 4096}, (_, i) => (i * 31) & 0xff);

type Verdict = 'rejected' | 'accepted' | 'crashed' | 'hung' | 'valid';

/** Stands in for P2PNode: hands the transport's inbound handler to the fuzzer, answers its requests with `reply`. */
class StandInNode extends EventEmitter {
	handler: ((m: InboundMessage) => Promise<Uint8Array | null>) | undefined;
	reply: (data: Uint8Array) => Uint8Array = () => Uint8Array.of(P2PStatus.ERROR);
	readonly nodeId = 'fuzz-stand-in';
	setHandler(h: (m: InboundMessage) => Promise<Uint8Array | null>): void { this.handler = h; }
	addr(): PeerAddr { return {nodeId: this.nodeId}; }
	async request(_peer: PeerAddr, _kind: string, data: Uint8Array): Promise<Uint8Array> { return this.reply(data); }
	async close(): Promise<void> {}
}

const withDeadline = <T>(p: Promise<T>): Promise<T | 'hung'> =>
	new Promise(resolve => {
		const t = setTimeout(() => resolve('hung'), DEADLINE_MS);
		void p.then(v => (clearTimeout(t), resolve(v)), () => (clearTimeout(t), resolve('crashed' as T)));
	});

/** One transport side as the fuzzer drives it: send raw BI bytes, pull with an expected hash. */
interface Side {
	send(data: Uint8Array): Promise<Uint8Array>;
	pullTampered(served: Uint8Array): Promise<{tensor?: Uint8Array}>;
	pushes: number;
}

async function judge(side: Side, keys: Keys, c: P2PCase): Promise<Verdict> {
	if (c.kind === 'hash') {
		const r = await withDeadline(side.pullTampered(c.served(TENSOR)));
		return r === 'hung' ? 'hung' : r.tensor ? 'accepted' : 'rejected';
	}
	const before = side.pushes;
	let reply: Uint8Array | 'hung' = new Uint8Array(0);
	for (const m of c.build(keys)) {
		reply = await withDeadline(side.send(m));
		if (reply === 'hung') return 'hung';
	}
	const taken = c.kind === 'pull' ? decodePullResponse(reply as Uint8Array).status === P2PStatus.SUCCESS : side.pushes > before || decodePushAck(reply as Uint8Array) === P2PStatus.SUCCESS;
	return taken ? (c.mayBeValid ? 'valid' : 'accepted') : 'rejected';
}

async function keysFor(): Promise<Keys> {
	await cryptoWaitReady();
	const ring = new Keyring({type: 'sr25519', ss58Format: 42});
	return {miner: ring.addFromUri('//fuzz-p2p-miner'), outsider: ring.addFromUri('//fuzz-p2p-outsider'), cachedId: CACHED_ID, now: () => Date.now()};
}

/** The real transport on a stand-in node: every hostile message goes through its inbound handler. */
async function inProcess(keys: Keys): Promise<Side> {
	const node = new StandInNode();
	const t = Reflect.construct(P2PTransport, [node, {hotkey: keys.miner.address}]) as P2PTransport;
	t.setTraining(true);
	const side: Side = {
		pushes: 0,
		send: async data => (await node.handler!({kind: 'bi', remote: 'fuzz-peer', data, readMs: 0})) ?? new Uint8Array(0),
		async pullTampered(served) {
			node.reply = () => encodePullResponse(P2PStatus.SUCCESS, served);
			return t.pull(node.addr(), CACHED_ID, keys.miner, {expectedHash: await blake3Hex(TENSOR)});
		},
	};
	t.onPush(() => (side.pushes++, P2PStatus.SUCCESS));
	await t.cache.put(CACHED_ID, TENSOR);
	return side;
}

/** Two real endpoints on 127.0.0.1: `a` sends, `b` serves (its cache holds the tensor, it takes pushes). */
async function overLoopback(keys: Keys): Promise<{side: Side; alive(): Promise<boolean>; close(): Promise<void>}> {
	const local = {bindAddr: '127.0.0.1:0', healthIntervalMs: 0};
	const [a, b] = await Promise.all([P2PTransport.start({hotkey: keys.outsider.address, ...local}), P2PTransport.start({hotkey: keys.miner.address, ...local})]);
	b.setTraining(true);
	await b.cache.put(CACHED_ID, TENSOR);
	const side: Side = {
		pushes: 0,
		send: async data => (await a.node.request(b.addr(), 'bi', data, TIMEOUTS)) ?? new Uint8Array(0),
		async pullTampered(served) {
			// b serves tampered bytes under another id; a was told the real tensor's hash.
			await b.cache.put('fuzz-tampered', served);
			return a.pull(b.addr(), 'fuzz-tampered', keys.miner, {expectedHash: await blake3Hex(TENSOR)});
		},
	};
	b.onPush(() => (side.pushes++, P2PStatus.SUCCESS));
	const alive = async () => {
		const r = await withDeadline(a.node.request(b.addr(), 'bi', signPullRequest(keys.miner, CACHED_ID), TIMEOUTS).catch(() => null));
		return r !== 'hung' && r !== null && r.length === TENSOR.length + 1 && r[0] === P2PStatus.SUCCESS;
	};
	return {side, alive, close: async () => void (await Promise.all([a.close(), b.close()]))};
}

function categories(reduced: boolean): [string, P2PCase[]][] {
	return [
		['framing', framingCases(reduced)],
		['signature', signatureCases(reduced)],
		['stale', staleCases(reduced)],
		['oversized', oversizedCases(reduced)],
		['truncated', truncatedCases(reduced)],
		['hash', hashCases(reduced)],
		['replay', replayCases(reduced)],
	];
}

/** An even sample for the loopback, small messages only (the big ones are covered in process). */
const loopbackSample = (cases: P2PCase[], keys: Keys, n: number) => {
	const small = cases.filter(c => c.kind === 'hash' || c.build(keys).every(m => m.length < 2 << 20));
	return small.filter((_, i) => i % Math.max(1, Math.ceil(small.length / n)) === 0);
};

function tally(row: FuzzRow, c: P2PCase, v: Verdict, where: string, log: (line: string) => void): void {
	row.tried++;
	if (v === 'accepted') row.accepted++;
	if (v === 'crashed') row.crashed++;
	if (v === 'hung') row.hung++;
	if (v === 'accepted' || v === 'crashed' || v === 'hung') log(`fuzz: ${row.target} (${where}): ${c.name}: ${v}`);
}

export const target: FuzzTarget = {
	name: 'p2p',
	async run(opts: FuzzOptions): Promise<FuzzRow[]> {
		const keys = await keysFor();
		const local = await inProcess(keys);
		const rows: FuzzRow[] = [];
		const all = categories(opts.reduced);
		for (const [name, cases] of all) {
			const row: FuzzRow = {target: `p2p/${name}`, tried: 0, crashed: 0, accepted: 0, fivexx: 0, hung: 0};
			for (const c of cases) tally(row, c, await judge(local, keys, c).catch(() => 'crashed' as const), 'in process', opts.log);
			rows.push(row);
		}
		const net = await overLoopback(keys);
		try {
			for (const [i, [, cases]] of all.entries()) {
				const row = rows[i]!;
				for (const c of loopbackSample(cases, keys, opts.reduced ? 3 : 25)) {
					const v = await judge(net.side, keys, c).catch(() => 'crashed' as const);
					tally(row, c, v, 'loopback', opts.log);
					if (v !== 'crashed' && !(await net.alive())) {
						row.crashed++;
						opts.log(`fuzz: ${row.target} (loopback): ${c.name}: the serving endpoint stopped answering`);
					}
				}
			}
		} finally {
			await net.close();
		}
		return rows;
	},
};
