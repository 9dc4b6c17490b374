// Two real iroh endpoints on 127.0.0.1 (no relay, no discovery): pushes and signed pulls of 4 MiB tensors, refusals,
// the per-peer limit, timeouts against a silent peer, peer status, and restarts with the same node id.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {after, before, test} from 'node:test';
import {Keyring} from '@polkadot/keyring';
import type {KeyringPair} from '@polkadot/keyring/types';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {
	P2PNode, P2PStatus, P2PTransport, blake3Hex, encodeUnsignedPullRequest, minerNodeId, minerSecretKey,
	type InboundPush, type PeerStatus, type TransferEvent,
} from '../../source/p2p/index.js';

let keyring: Keyring;
let alice: KeyringPair;
let bob: KeyringPair;
let a: P2PTransport;
let b: P2PTransport;
const events: TransferEvent[] = [];
const MiB4 = 4 * 2 ** 20;
const tensor = (seed: number) => {
	const t = new Uint8Array(MiB4);
	for (let i = 0; i < t.length; i++) t[i] = (i * 2654435761 + seed) >>> 24;
	return t;
};
const local = {bindAddr: '127.0.0.1:0', healthIntervalMs: 0};
const push = (id: string, t: Uint8Array, direction: 'forward' | 'backward' = 'forward', from = alice) =>
	({activationId: id, direction, sourceHotkey: from.address, sourceP2pNodeIds: [], tensorBytes: t});

before(async () => {
	await cryptoWaitReady();
	keyring = new Keyring({type: 'sr25519', ss58Format: 42});
	alice = keyring.addFromUri('//Alice');
	bob = keyring.addFromUri('//Bob');
	[a, b] = await Promise.all([
		P2PTransport.start({hotkey: alice.address, ...local}),
		P2PTransport.start({hotkey: bob.address, ...local}),
	]);
	a.onTransfer(e => events.push(e));
});
after(async () => {
	await Promise.all([a?.close(), b?.close()]);
});

test('the node id follows from the hotkey: secret = sha256("iota-miner-" + ss58)', () => {
	assert.deepEqual(Buffer.from(minerSecretKey(alice.address)), createHash('sha256').update(`iota-miner-${alice.address}`).digest());
	assert.equal(a.nodeId, minerNodeId(alice.address));
	assert.match(a.nodeId, /^[0-9a-f]{64}$/);
	assert.notEqual(a.nodeId, b.nodeId);
	assert.deepEqual(a.addr().directAddresses?.every(x => x.startsWith('127.0.0.1:')), true);
	assert.equal(a.addr().relayUrl, null);
});

test('refreshAddr reports the same endpoint', async () => {
	assert.deepEqual(await a.node.refreshAddr(), a.addr());
});

test('a 4 MiB tensor pushed both ways arrives byte-exact with its BLAKE3', {timeout: 120_000}, async t => {
	const got: InboundPush[] = [];
	a.onPush(p => { got.push(p); return P2PStatus.SUCCESS; });
	b.onPush(p => { got.push(p); return P2PStatus.SUCCESS; });
	b.setTraining(true);
	const fwd = tensor(1);
	const bwd = tensor(2);
	const r1 = await a.push(b.addr(), push('fwd-1', fwd));
	const r2 = await b.push(a.addr(), push('bwd-1', bwd, 'backward', bob));
	assert.equal(r1.status, P2PStatus.SUCCESS, r1.error);
	assert.equal(r2.status, P2PStatus.SUCCESS, r2.error);
	assert.equal(r1.attempts, 1);
	assert.ok(r1.bytes > MiB4);
	assert.equal(got.length, 2);
	assert.equal(got[0]!.from, a.nodeId);
	assert.deepEqual(Buffer.compare(got[0]!.tensorBytes, fwd), 0);
	assert.equal(got[0]!.hash, await blake3Hex(fwd));
	assert.equal(got[1]!.direction, 'backward', 'a backward is taken even when not training');
	assert.deepEqual(Buffer.compare(got[1]!.tensorBytes, bwd), 0);
	const ev = events.find(e => e.activationId === 'fwd-1')!;
	assert.deepEqual([ev.direction, ev.kind, ev.peer, ev.bytes, ev.status, ev.hash_ok], ['out', 'push', b.nodeId, r1.bytes, P2PStatus.SUCCESS, null]);
	assert.ok(ev.ms > 0);
	// Latency on this machine, warm connection (the first push also dialled).
	const r3 = await a.push(b.addr(), push('fwd-2', fwd));
	t.diagnostic(`4 MiB push on loopback: first ${r1.ms.toFixed(0)} ms (with dial), warm ${r3.ms.toFixed(0)} ms; reverse ${r2.ms.toFixed(0)} ms`);
});

test('a forward pushed to a miner that is not training gets ERROR; a handler status passes through', async () => {
	let called = 0;
	a.setTraining(false);
	a.onPush(() => { called++; return P2PStatus.EXPIRED; });
	const r = await b.push(a.addr(), push('fwd-x', Uint8Array.of(1, 2, 3), 'forward', bob));
	assert.equal(r.status, P2PStatus.ERROR);
	assert.equal(r.attempts, 1, 'a NACK is an answer, not retried');
	assert.equal(called, 0);
	a.setTraining(true);
	assert.equal((await b.push(a.addr(), push('fwd-y', Uint8Array.of(1), 'forward', bob))).status, P2PStatus.EXPIRED);
	a.onPush(() => { throw new Error('handler broke'); });
	assert.equal((await b.push(a.addr(), push('fwd-z', Uint8Array.of(1), 'forward', bob))).status, P2PStatus.ERROR);
	a.setTraining(false);
});

test('a signed pull of a cached 4 MiB tensor, checked against its expected BLAKE3', {timeout: 120_000}, async t => {
	const data = tensor(3);
	const hash = await b.cache.put('cached-1', data);
	const r = await a.pull(b.addr(), 'cached-1', alice, {expectedHash: hash.toUpperCase()});
	assert.equal(r.status, P2PStatus.SUCCESS, r.error);
	assert.equal(r.hashOk, true);
	assert.equal(r.hash, hash);
	assert.equal(Buffer.compare(r.tensor!, data), 0);
	const ev = events.find(e => e.kind === 'pull' && e.activationId === 'cached-1')!;
	assert.deepEqual([ev.direction, ev.bytes, ev.hash_ok], ['in', MiB4 + 1, true]);
	t.diagnostic(`4 MiB pull on loopback: ${r.ms.toFixed(0)} ms`);
});

test('pull refusals: unsigned, bad signature, stale or future window -> UNAUTHORIZED; missing -> NOT_FOUND; TTL -> EXPIRED; bad hash withheld', async () => {
	await b.cache.put('small', Uint8Array.of(5, 6, 7));
	const raw = await a.node.request(b.addr(), 'bi', encodeUnsignedPullRequest('small'), {connectMs: 5000, sendMs: 5000, receiveMs: 5000});
	assert.deepEqual([...raw!], [P2PStatus.UNAUTHORIZED]);
	const liar = {address: alice.address, sign: (m: Uint8Array) => bob.sign(m)};
	assert.equal((await a.pull(b.addr(), 'small', liar)).status, P2PStatus.UNAUTHORIZED);
	assert.equal((await a.pull(b.addr(), 'small', alice, {signedAtMs: Date.now() - 31_000})).status, P2PStatus.UNAUTHORIZED);
	assert.equal((await a.pull(b.addr(), 'small', alice, {signedAtMs: Date.now() + 31_000})).status, P2PStatus.UNAUTHORIZED);
	assert.equal((await a.pull(b.addr(), 'never-cached', alice)).status, P2PStatus.NOT_FOUND);
	const garbage = await a.node.request(b.addr(), 'bi', Uint8Array.of(9, 9, 9), {connectMs: 5000, sendMs: 5000, receiveMs: 5000});
	assert.deepEqual([...garbage!], [P2PStatus.ERROR]);
	const mismatch = await a.pull(b.addr(), 'small', alice, {expectedHash: '00'.repeat(32)});
	assert.deepEqual([mismatch.status, mismatch.hashOk, mismatch.tensor, mismatch.error], [P2PStatus.SUCCESS, false, undefined, 'BLAKE3 mismatch']);
	assert.equal(events.find(e => e.kind === 'pull' && e.activationId === 'small' && e.hash_ok === false)?.status, P2PStatus.SUCCESS);
	const ok = await a.pull(b.addr(), 'small', alice);
	assert.deepEqual([ok.status, ok.hashOk, [...ok.tensor!]], [P2PStatus.SUCCESS, null, [5, 6, 7]]);

	// A third miner whose cache clock runs past the TTL, and which only lets Bob pull.
	let now = Date.now();
	const carol = keyring.addFromUri('//Carol');
	const c = await P2PTransport.start({hotkey: carol.address, ...local, cache: {ttlMs: 1000, now: () => now}, allowPuller: hk => hk === bob.address});
	try {
		await c.cache.put('old', Uint8Array.of(1));
		assert.equal((await b.pull(c.addr(), 'old', bob)).status, P2PStatus.SUCCESS);
		assert.equal((await a.pull(c.addr(), 'old', alice)).status, P2PStatus.UNAUTHORIZED, 'allowPuller');
		now += 1001;
		assert.equal((await b.pull(c.addr(), 'old', bob)).status, P2PStatus.EXPIRED);
	} finally {
		await c.close();
	}
});

test('at most 2 pushes in flight to one peer; the rest wait their turn', {timeout: 120_000}, async () => {
	let inHandler = 0;
	let maxInHandler = 0;
	const release: Array<() => void> = [];
	b.setTraining(true);
	b.onPush(async () => {
		maxInHandler = Math.max(maxInHandler, ++inHandler);
		await new Promise<void>(r => release.push(r));
		inHandler--;
		return P2PStatus.SUCCESS;
	});
	const data = new Uint8Array(64 * 1024).fill(3);
	const results = Promise.all(Array.from({length: 5}, (_, i) => a.push(b.addr(), push(`lim-${i}`, data))));
	// Let everything that can start get to the handler, then release one at a time.
	let done = 0;
	while (done < 5) {
		for (let i = 0; i < 200 && release.length === 0; i++) await new Promise(r => setTimeout(r, 20));
		await new Promise(r => setTimeout(r, 150));
		assert.ok(inHandler <= 2, `${inHandler} in the handler at once`);
		release.shift()?.();
		done++;
	}
	const rs = await results;
	assert.deepEqual(rs.map(r => r.status), Array(5).fill(P2PStatus.SUCCESS));
	assert.equal(maxInHandler, 2);
	assert.equal(a.peakInFlight(b.nodeId), 2);
});

test('a peer that never answers times out (receive), retries count, an unreachable peer fails to connect', {timeout: 120_000}, async () => {
	const silent = await P2PNode.start({hotkey: keyring.addFromUri('//Dave').address, ...local, inboundReplyTimeoutMs: 600_000}, () => new Promise(() => {}));
	const impatient = await P2PTransport.start({hotkey: keyring.addFromUri('//Eve').address, ...local, timeouts: {connectMs: 1500, receiveMs: 700}, retries: 1, retryDelayMs: 50});
	try {
		const t0 = Date.now();
		const r = await impatient.push(silent.addr(), push('to-silent', Uint8Array.of(1)));
		assert.equal(r.status, P2PStatus.ERROR);
		assert.match(r.error!, /receive timed out after 700 ms/);
		assert.equal(r.attempts, 2);
		assert.ok(Date.now() - t0 >= 1400 && Date.now() - t0 < 10_000, `${Date.now() - t0} ms`);
		const p = await impatient.pull(silent.addr(), 'x', alice);
		assert.deepEqual([p.status, p.attempts], [P2PStatus.ERROR, 2]);
		// Nobody listens on this port: the dial gives up at the connect timeout (or earlier on an error).
		const ghost = {nodeId: minerNodeId('ghost'), directAddresses: ['127.0.0.1:9']};
		const t1 = Date.now();
		const g = await impatient.push(ghost, push('to-ghost', Uint8Array.of(1)));
		assert.equal(g.status, P2PStatus.ERROR);
		assert.match(g.error!, /connect/);
		assert.ok(Date.now() - t1 < 10_000);
	} finally {
		await Promise.all([silent.close(), impatient.close()]);
	}
});

test('a message over the inbound cap is refused (stream reset), the endpoint keeps working', {timeout: 60_000}, async () => {
	const small = await P2PTransport.start({hotkey: keyring.addFromUri('//Ivan').address, ...local, maxMessageBytes: 4096});
	try {
		small.setTraining(true);
		small.onPush(() => P2PStatus.SUCCESS);
		const big = await a.push(small.addr(), push('too-big', new Uint8Array(8192)));
		assert.equal(big.status, P2PStatus.ERROR);
		assert.match(big.error!, /receive|reset|closed/i);
		assert.equal((await a.push(small.addr(), push('fits', new Uint8Array(1024)))).status, P2PStatus.SUCCESS);
	} finally {
		await small.close();
	}
});

test('peer status travels on UNI and is stamped on arrival', async () => {
	const got: Array<{s: PeerStatus; from: string}> = [];
	b.onPeerStatus((s, from) => got.push({s, from}));
	const status: PeerStatus = {sourceHotkey: alice.address, forwardQueueSize: 2, backwardQueueSize: 1, cacheSize: 4, cacheCapacity: 100, uptimeSeconds: 61.5, layerPhase: 'training', lastStatusReceived: 0};
	assert.equal(await a.sendPeerStatus(b.addr(), status), true);
	for (let i = 0; i < 100 && got.length === 0; i++) await new Promise(r => setTimeout(r, 20));
	assert.equal(got.length, 1);
	assert.equal(got[0]!.from, a.nodeId);
	assert.deepEqual({...got[0]!.s, lastStatusReceived: 0}, {...status, minerStatus: null});
	assert.ok(Math.abs(got[0]!.s.lastStatusReceived - Date.now() / 1000) < 10);
});

test('a crashed endpoint restarts with the same node id; peers reach it again after one failed attempt', {timeout: 120_000}, async () => {
	const timeouts = {connectMs: 2000, receiveMs: 2000};
	const [x, y] = await Promise.all([
		P2PTransport.start({hotkey: keyring.addFromUri('//Gina').address, ...local, timeouts, retries: 1, retryDelayMs: 50}),
		P2PTransport.start({hotkey: keyring.addFromUri('//Hank').address, ...local, timeouts}),
	]);
	try {
		y.onPush(() => P2PStatus.SUCCESS);
		x.onPush(() => P2PStatus.SUCCESS);
		// Connections both ways, so x holds a dialled and an accepted connection to the old y.
		assert.equal((await x.push(y.addr(), push('warm-1', Uint8Array.of(1), 'backward'))).status, P2PStatus.SUCCESS);
		assert.equal((await y.push(x.addr(), push('warm-2', Uint8Array.of(1), 'backward'))).status, P2PStatus.SUCCESS);
		const id = y.nodeId;
		assert.equal((await y.node.checkHealth()).healthy, true);
		const restarted = new Promise<{reason: string}>(resolve => y.node.once('restarted', resolve));
		y.node.crashForTest();
		assert.match((await restarted).reason, /exited \(SIGKILL\)/);
		assert.equal(y.nodeId, id, 'same hotkey, same node id');
		assert.equal(y.node.restarts, 1);
		// The killed process said no goodbye: the first attempt dies on the old connection, the retry redials.
		const r = await x.push(y.addr(), push('after-restart', Uint8Array.of(1), 'backward'));
		assert.equal(r.status, P2PStatus.SUCCESS, r.error);
		assert.ok(r.attempts <= 2, `${r.attempts} attempts`);
		assert.equal((await y.node.checkHealth()).healthy, true);
	} finally {
		await Promise.all([x.close(), y.close()]);
	}
});

test('the health monitor restarts an endpoint that keeps lacking its wanted relay', {timeout: 120_000}, async () => {
	// A relay nobody runs: the endpoint works for direct dials but never gets a home relay.
	const node = await P2PNode.start({hotkey: keyring.addFromUri('//Ferdie').address, bindAddr: '127.0.0.1:0', relay: {mode: 'custom', urls: ['http://127.0.0.1:9']}, healthIntervalMs: 300});
	try {
		const id = node.nodeId;
		const report = await node.checkHealth();
		assert.deepEqual([report.healthy, report.reason], [false, 'no home relay']);
		const unhealthy = new Promise<{reason: string}>(resolve => node.once('unhealthy', resolve));
		const restarted = new Promise(resolve => node.once('restarted', resolve));
		assert.equal((await unhealthy).reason, 'no home relay');
		await restarted;
		assert.equal(node.nodeId, id);
	} finally {
		await node.close();
	}
});
