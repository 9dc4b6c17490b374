// Byte layouts of the IOTA P2P frames, round trips, and hostile frames: every decoder refuses with one line.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {test} from 'node:test';
import {encode} from '@msgpack/msgpack';
import {Keyring} from '@polkadot/keyring';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {
	FrameError, P2PStatus, PULL_V2_HEADER_BYTES, ROUTE_ACTIVATION_PUSH, ROUTE_PEER_STATUS, SERIALIZER_JSON, SERIALIZER_MSGPACK,
	decodeActivationPush, decodePeerStatus, decodePullRequest, decodePullResponse, decodePushAck, encodeActivationPush,
	encodePeerStatus, encodePullRequest, encodePullResponse, encodePushAck, encodeUnsignedPullRequest, peekRoute, routeTag,
	unwrapEnvelope, wrapEnvelope, type ActivationPush,
} from '../../source/p2p/frames.js';
import {pullAuthMessage, signPullRequest, verifyPullRequest} from '../../source/p2p/auth.js';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const u8 = (...parts: Array<Uint8Array | number[]>) => Uint8Array.from(parts.flatMap(p => [...p]));

/** Asserts `fn` throws a FrameError whose message is one line; returns the message. */
function refused(fn: () => unknown, pattern?: RegExp): string {
	try {
		fn();
	} catch (error) {
		assert.ok(error instanceof FrameError, `expected FrameError, got ${(error as Error)?.name}: ${(error as Error)?.message}`);
		assert.ok(!error.message.includes('\n') && error.message.length > 0, 'one-line message');
		if (pattern) assert.match(error.message, pattern);
		return error.message;
	}
	assert.fail('decoder accepted a hostile frame');
}

test('pull request v2: exact bytes, round trip', () => {
	const signature = Uint8Array.from({length: 64}, (_, i) => i + 1);
	const bytes = encodePullRequest({activationId: 'act-1', timestampMs: 0x0102030405, hotkey: HOTKEY, signature});
	const ss58 = new Uint8Array(48);
	ss58.set(Buffer.from(HOTKEY));
	assert.equal(hex(bytes), hex(u8([2], [0, 0, 0, 1, 2, 3, 4, 5], ss58, signature, [0, 5], Buffer.from('act-1'))));
	assert.equal(PULL_V2_HEADER_BYTES, 123);
	assert.deepEqual(decodePullRequest(bytes), {signed: true, activationId: 'act-1', timestampMs: 0x0102030405, hotkey: HOTKEY, signature});
	const v1 = encodeUnsignedPullRequest('é');
	assert.equal(hex(v1), '010002c3a9');
	assert.deepEqual(decodePullRequest(v1), {signed: false, activationId: 'é'});
});

test('pull request: hostile frames refused', () => {
	const good = encodePullRequest({activationId: 'abc', timestampMs: 1, hotkey: HOTKEY, signature: new Uint8Array(64)});
	refused(() => decodePullRequest(new Uint8Array(0)), /empty/);
	refused(() => decodePullRequest(Uint8Array.of(7, 0, 1, 65)), /version 0x07/);
	refused(() => decodePullRequest(good.subarray(0, 100)), /too short/);
	refused(() => decodePullRequest(u8(good, [0])), /does not match/);
	refused(() => decodePullRequest(good.subarray(0, good.length - 1)), /does not match/);
	const badUtf8 = good.slice();
	badUtf8[123] = 0xff;
	refused(() => decodePullRequest(badUtf8), /UTF-8/);
	const bigTs = good.slice();
	bigTs.fill(0xff, 1, 9);
	refused(() => decodePullRequest(bigTs), /timestamp/);
	const junkAfterNul = good.slice();
	junkAfterNul[9 + 10] = 0; // a NUL inside the 48-character address leaves non-NUL bytes after it
	refused(() => decodePullRequest(junkAfterNul), /NUL/);
	const badChar = good.slice();
	badChar[9] = 0x30; // '0' is not base58
	refused(() => decodePullRequest(badChar), /base58/);
	const emptyId = good.slice(0, 123);
	emptyId[121] = 0;
	emptyId[122] = 0;
	refused(() => decodePullRequest(emptyId), /too short/);
	refused(() => decodePullRequest(Uint8Array.of(1, 0, 0)), /empty/);
	assert.throws(() => encodePullRequest({activationId: '', timestampMs: 1, hotkey: HOTKEY, signature: new Uint8Array(64)}), FrameError);
	assert.throws(() => encodePullRequest({activationId: 'a', timestampMs: 1, hotkey: HOTKEY, signature: new Uint8Array(63)}), FrameError);
});

test('pull response: [status][tensor]', () => {
	const t = Uint8Array.of(9, 8, 7);
	assert.equal(hex(encodePullResponse(P2PStatus.SUCCESS, t)), '01090807');
	assert.equal(hex(encodePullResponse(P2PStatus.NOT_FOUND)), '00');
	assert.equal(hex(encodePullResponse(P2PStatus.UNAUTHORIZED, t)), '04', 'a refusal never carries the tensor');
	assert.deepEqual(decodePullResponse(Uint8Array.of(1, 9, 8, 7)), {status: P2PStatus.SUCCESS, tensor: t});
	for (const s of [0, 2, 3, 4]) assert.deepEqual(decodePullResponse(Uint8Array.of(s)), {status: s});
	assert.deepEqual(decodePullResponse(Uint8Array.of(2, 1, 1)), {status: 2}, 'trailing bytes after a refusal are ignored, as IOTA does');
	refused(() => decodePullResponse(new Uint8Array(0)), /empty/);
	refused(() => decodePullResponse(Uint8Array.of(5)), /unknown status/);
	refused(() => decodePullResponse(Uint8Array.of(1)), /no tensor/);
});

test('routed envelope: tag, serializer, route', () => {
	assert.equal(routeTag(ROUTE_ACTIVATION_PUSH), 0xde5c);
	assert.equal(routeTag(ROUTE_PEER_STATUS), 0xc0ed);
	const env = wrapEnvelope(ROUTE_PEER_STATUS, SERIALIZER_MSGPACK, Uint8Array.of(0x80));
	assert.equal(hex(env), 'c0ed0280');
	assert.equal(peekRoute(env), ROUTE_PEER_STATUS);
	assert.equal(peekRoute(Uint8Array.of(0xc0, 0xed, 9)), undefined);
	assert.equal(peekRoute(Uint8Array.of(2, 0, 0, 0)), undefined, 'a pull request is not an envelope');
	refused(() => unwrapEnvelope(Uint8Array.of(0xc0, 0xed)), /too short/);
	refused(() => unwrapEnvelope(Uint8Array.of(0xc0, 0xed, 3)), /serializer/);
	refused(() => unwrapEnvelope(Uint8Array.of(0x12, 0x34, 2)), /unknown route/);
	refused(() => unwrapEnvelope(env, ROUTE_ACTIVATION_PUSH), /not \/activation\/push/);
});

const push: ActivationPush = {
	activationId: 'a-1', direction: 'forward', sourceHotkey: HOTKEY, sourceP2pNodeIds: ['n1', 'n2'],
	tensorBytes: Uint8Array.of(0, 255, 128), samplePath: 'https://x/y', sourceLayer: 0, targetLayer: 1,
};

test('/activation/push: msgpack body as model_dump() packs it, round trip, JSON accepted', () => {
	const env = encodeActivationPush(push);
	// Keys in field order, bytes as bin 8 (0xc4), nil for absent optionals.
	const body = hex(env.subarray(3));
	assert.ok(body.startsWith('88ad' + Buffer.from('activation_id').toString('hex')));
	assert.ok(body.includes('ac' + Buffer.from('tensor_bytes').toString('hex') + 'c40300ff80'));
	assert.deepEqual(decodeActivationPush(env), push);
	const bare = decodeActivationPush(encodeActivationPush({...push, samplePath: undefined, sourceLayer: undefined, targetLayer: undefined}));
	assert.deepEqual([bare.samplePath, bare.sourceLayer, bare.targetLayer], [null, null, null]);
	const json = wrapEnvelope(ROUTE_ACTIVATION_PUSH, SERIALIZER_JSON, Buffer.from(JSON.stringify({activation_id: 'j', direction: 'backward', source_hotkey: HOTKEY, tensor_bytes: 'abc'})));
	assert.deepEqual(decodeActivationPush(json), {activationId: 'j', direction: 'backward', sourceHotkey: HOTKEY, sourceP2pNodeIds: [], tensorBytes: Uint8Array.from(Buffer.from('abc')), samplePath: null, sourceLayer: null, targetLayer: null});
});

test('/activation/push: wrong types and shapes refused', () => {
	const base = {activation_id: 'a', direction: 'forward', source_hotkey: HOTKEY, source_p2p_node_ids: [], tensor_bytes: new Uint8Array(1)};
	const env = (body: unknown) => wrapEnvelope(ROUTE_ACTIVATION_PUSH, SERIALIZER_MSGPACK, encode(body));
	refused(() => decodeActivationPush(env({...base, activation_id: 5})), /activation_id/);
	refused(() => decodeActivationPush(env({...base, activation_id: ''})), /empty/);
	refused(() => decodeActivationPush(env({...base, direction: 'sideways'})), /direction/);
	refused(() => decodeActivationPush(env({...base, tensor_bytes: 12})), /tensor_bytes/);
	refused(() => decodeActivationPush(env({...base, source_p2p_node_ids: 'n1'})), /source_p2p_node_ids/);
	refused(() => decodeActivationPush(env({...base, source_p2p_node_ids: [1]})), /source_p2p_node_ids/);
	refused(() => decodeActivationPush(env({...base, source_layer: -1})), /source_layer/);
	refused(() => decodeActivationPush(env({...base, target_layer: 1.5})), /target_layer/);
	refused(() => decodeActivationPush(env({...base, sample_path: 3})), /sample_path/);
	const {source_hotkey: _, ...noHotkey} = base;
	refused(() => decodeActivationPush(env(noHotkey)), /source_hotkey/);
	refused(() => decodeActivationPush(env([1, 2])), /not a map/);
	refused(() => decodeActivationPush(env(null)), /not a map/);
	refused(() => decodeActivationPush(env(Object.fromEntries(Array.from({length: 300}, (_, i) => [`k${i}`, i])))), /activation push body/);
	refused(() => decodeActivationPush(u8(env(base), [0xc0])), /activation push body/);
	refused(() => decodeActivationPush(env(base).subarray(0, 20)), /activation push body/);
	refused(() => decodeActivationPush(wrapEnvelope(ROUTE_ACTIVATION_PUSH, SERIALIZER_JSON, Buffer.from('{"a":'))), /activation push body/);
	refused(() => decodeActivationPush(wrapEnvelope(ROUTE_ACTIVATION_PUSH, SERIALIZER_JSON, Uint8Array.of(0xff, 0xfe))), /activation push body/);
	refused(() => decodeActivationPush(encodePeerStatus({sourceHotkey: HOTKEY, forwardQueueSize: 0, backwardQueueSize: 0, cacheSize: 0, cacheCapacity: 0, uptimeSeconds: 0, layerPhase: 'training', lastStatusReceived: 0})), /not \/activation\/push/);
});

test('push ack: one status byte', () => {
	assert.equal(hex(encodePushAck(P2PStatus.ERROR)), '03');
	assert.equal(decodePushAck(Uint8Array.of(1)), P2PStatus.SUCCESS);
	refused(() => decodePushAck(new Uint8Array(0)), /1 byte/);
	refused(() => decodePushAck(Uint8Array.of(1, 1)), /1 byte/);
	refused(() => decodePushAck(Uint8Array.of(0x2a)), /unknown status/);
});

test('/peer/status: round trip, pydantic defaults for absent fields, wrong types refused', () => {
	const s = {sourceHotkey: HOTKEY, forwardQueueSize: 1, backwardQueueSize: 2, cacheSize: 3, cacheCapacity: 100, uptimeSeconds: 4.5, layerPhase: 'training', minerStatus: null, lastStatusReceived: 0};
	assert.deepEqual(decodePeerStatus(encodePeerStatus(s)), s);
	assert.deepEqual(decodePeerStatus(encodePeerStatus({...s, minerStatus: 'running'})).minerStatus, 'running');
	const env = (body: unknown) => wrapEnvelope(ROUTE_PEER_STATUS, SERIALIZER_MSGPACK, encode(body));
	assert.deepEqual(decodePeerStatus(env({})), {sourceHotkey: '', forwardQueueSize: 0, backwardQueueSize: 0, cacheSize: 0, cacheCapacity: 0, uptimeSeconds: 0, layerPhase: 'training', minerStatus: null, lastStatusReceived: 0});
	refused(() => decodePeerStatus(env({cache_size: '3'})), /cache_size/);
	refused(() => decodePeerStatus(env({uptime_seconds: Infinity})), /uptime_seconds/);
	refused(() => decodePeerStatus(env({layer_phase: 7})), /layer_phase/);
	refused(() => decodePeerStatus(env({forward_queue_size: 2 ** 60})), /forward_queue_size/);
});

test('pull auth: sr25519 over "sha256hex(id).ts.", 30 s window both ways', async () => {
	await cryptoWaitReady();
	const keyring = new Keyring({type: 'sr25519', ss58Format: 42});
	const alice = keyring.addFromUri('//Alice');
	const bob = keyring.addFromUri('//Bob');
	assert.equal(pullAuthMessage('x', 17), `${createHash('sha256').update('x').digest('hex')}.17.`);
	const now = 1_700_000_000_000;
	const req = decodePullRequest(signPullRequest(alice, 'act', now));
	assert.ok(req.signed);
	assert.deepEqual(verifyPullRequest(req, {nowMs: now + 29_000}), {ok: true, hotkey: alice.address});
	assert.deepEqual(verifyPullRequest(req, {nowMs: now + 31_000}), {ok: false, reason: 'request is too stale'});
	assert.deepEqual(verifyPullRequest(req, {nowMs: now - 31_000}), {ok: false, reason: 'request timestamp is in the future'});
	assert.deepEqual(verifyPullRequest({...req, activationId: 'other'}, {nowMs: now}), {ok: false, reason: 'signature mismatch'});
	assert.deepEqual(verifyPullRequest({...req, hotkey: bob.address}, {nowMs: now}), {ok: false, reason: 'signature mismatch'});
	assert.deepEqual(verifyPullRequest({...req, timestampMs: now + 1}, {nowMs: now}), {ok: false, reason: 'signature mismatch'});
	const ed = new Keyring({type: 'ed25519'}).addFromUri('//Alice');
	const edReq = decodePullRequest(signPullRequest(ed, 'act', now));
	assert.ok(edReq.signed);
	assert.equal(verifyPullRequest(edReq, {nowMs: now}).ok, false, 'only sr25519 hotkeys sign pulls');
});

test('fuzz: random and mutated frames never crash a decoder, refusals are one line', () => {
	let seed = 0x9e3779b9;
	const rnd = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
	const int = (n: number) => Math.floor(rnd() * n);
	const bytes = (n: number) => Uint8Array.from({length: n}, () => int(256));
	const status = {sourceHotkey: HOTKEY, forwardQueueSize: 1, backwardQueueSize: 2, cacheSize: 3, cacheCapacity: 100, uptimeSeconds: 4.5, layerPhase: 'training', lastStatusReceived: 0};
	const seeds = [
		encodePullRequest({activationId: 'activation-42', timestampMs: Date.now(), hotkey: HOTKEY, signature: bytes(64)}),
		encodeUnsignedPullRequest('activation-42'),
		encodePullResponse(P2PStatus.SUCCESS, bytes(40)),
		encodeActivationPush(push),
		encodePeerStatus(status),
		wrapEnvelope(ROUTE_ACTIVATION_PUSH, SERIALIZER_JSON, Buffer.from(JSON.stringify({activation_id: 'j', direction: 'forward', source_hotkey: HOTKEY}))),
		Uint8Array.of(1),
	];
	const mutate = (b: Uint8Array): Uint8Array => {
		const out = [...b];
		const edits = 1 + int(4);
		for (let e = 0; e < edits; e++) {
			const at = int(out.length + 1);
			switch (int(5)) {
				case 0: if (out.length) out[at % out.length] ^= 1 << int(8); break;
				case 1: out.length = at; break;
				case 2: out.splice(at, 0, ...bytes(1 + int(8))); break;
				case 3: out.splice(at, 1 + int(8)); break;
				default: if (out.length) out[at % out.length] = [0, 0xff, 0xc1, 0xdc, 0xdf, 0x7f][int(6)]!;
			}
		}
		return Uint8Array.from(out);
	};
	const decoders = [decodePullRequest, decodePullResponse, decodeActivationPush, decodePeerStatus, decodePushAck, (b: Uint8Array) => unwrapEnvelope(b)];
	let tried = 0, refusedCount = 0;
	const messages = new Set<string>();
	for (let i = 0; i < 600; i++) {
		const kind = int(4);
		const frame = kind === 0 ? bytes(int(300))
			: kind === 1 ? mutate(seeds[int(seeds.length)]!)
			: kind === 2 ? wrapEnvelope(rnd() < 0.5 ? ROUTE_ACTIVATION_PUSH : ROUTE_PEER_STATUS, SERIALIZER_MSGPACK, mutate(encode({activation_id: bytes(3), direction: int(3), tensor_bytes: 'x', source_layer: -int(9), [String(int(9))]: [null, true, 1.5]})))
			: u8([2], bytes(8), bytes(48), bytes(64), [0, int(40)], bytes(int(40)));
		for (const decode of decoders) {
			tried++;
			try {
				decode(frame);
			} catch (error) {
				refusedCount++;
				assert.ok(error instanceof FrameError, `${decode.name} threw ${(error as Error)?.name}: ${(error as Error)?.message} on ${hex(frame)}`);
				assert.ok(error.message.length > 0 && !error.message.includes('\n'), `one line: ${JSON.stringify(error.message)}`);
				messages.add(error.message.replace(/\d+/g, 'N'));
			}
		}
	}
	assert.equal(tried, 3600);
	assert.ok(refusedCount > tried / 2, `most garbage is refused (${refusedCount}/${tried})`);
	assert.ok(messages.size > 20, 'refusals say what was wrong, not one generic line');
});
