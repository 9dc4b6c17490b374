// Hostile P2P messages by category: what a peer sends on a BI stream (raw pull requests or routed
// pushes), each with what would mean it was taken as valid. Built from the real encoders, then broken.
import {encode} from '@msgpack/msgpack';
import type {KeyringPair} from '@polkadot/keyring/types';
import {pullAuthMessage, signPullRequest} from '../source/p2p/auth.js';
import {ROUTE_ACTIVATION_PUSH, ROUTE_PEER_STATUS, SERIALIZER_JSON, SERIALIZER_MSGPACK, wrapEnvelope} from '../source/p2p/envelope.js';
import {encodePullRequest, encodeUnsignedPullRequest, PULL_V2_HEADER_BYTES} from '../source/p2p/pull-frames.js';
import {encodeActivationPush} from '../source/p2p/push-message.js';
import {prng} from './torch-build.js';

/** `pull`: the reply must not be SUCCESS; `push`: the push handler must not be called; `hash`: a pull of a tampered tensor must be withheld. */
export type P2PCase = {name: string; kind: 'pull' | 'push'; build(k: Keys): Uint8Array[]; mayBeValid?: boolean} | {name: string; kind: 'hash'; served(good: Uint8Array): Uint8Array};
export type Keys = {miner: KeyringPair; outsider: KeyringPair; cachedId: string; now(): number};

const utf8 = new TextEncoder();
export const pushOf = (k: Keys, extra: Record<string, unknown> = {}): Uint8Array =>
	'raw' in extra ? wrapEnvelope(ROUTE_ACTIVATION_PUSH, SERIALIZER_MSGPACK, encode(extra.raw)) :
	encodeActivationPush({activationId: 'fuzz-push', direction: 'backward', sourceHotkey: k.miner.address, sourceP2pNodeIds: [], tensorBytes: new Uint8Array(64), ...extra});

/** Random bytes, wrong versions, route tags and serializers, and length fields that disagree with the bytes. */
export function framingCases(reduced: boolean): P2PCase[] {
	const cases: P2PCase[] = [];
	const n = reduced ? 30 : 300;
	for (let i = 0; i < n; i++) {
		const r = prng(7000 + i);
		cases.push({name: `random ${i}`, kind: i % 2 ? 'pull' : 'push', mayBeValid: true, build: () => [Uint8Array.from({length: Math.floor(r() * 300)}, () => Math.floor(r() * 256))]});
	}
	for (let v = 0; v < 256; v += reduced ? 17 : 1) {
		if (v === 2) continue;
		cases.push({name: `pull version byte 0x${v.toString(16)}`, kind: 'pull', build: k => { const b = signPullRequest(k.miner, k.cachedId); b[0] = v; return [b]; }});
	}
	for (const delta of [-1, 1, 100, -100, 0xffff]) {
		cases.push({name: `pull id length ${delta > 0 ? '+' : ''}${delta}`, kind: 'pull', build: k => {
			const b = signPullRequest(k.miner, k.cachedId);
			const v = new DataView(b.buffer);
			v.setUint16(PULL_V2_HEADER_BYTES - 2, (v.getUint16(PULL_V2_HEADER_BYTES - 2) + delta) & 0xffff);
			return [b];
		}});
	}
	cases.push({name: 'pull ss58 field with bytes after its NUL', kind: 'pull', build: k => { const b = signPullRequest(k.miner, k.cachedId); b[9 + 47] = 0x41; b[9 + 46] = 0; return [b]; }});
	cases.push({name: 'pull ss58 field not base58', kind: 'pull', build: k => { const b = signPullRequest(k.miner, k.cachedId); b[9] = 0x30; return [b]; }});
	cases.push({name: 'pull id not UTF-8', kind: 'pull', build: k => { const b = signPullRequest(k.miner, k.cachedId); b[b.length - 1] = 0xff; return [b]; }});
	for (const tag of [0, 1, 0xffff, 0x1234]) cases.push({name: `push with route tag 0x${tag.toString(16)}`, kind: 'push', build: k => { const b = pushOf(k); b[0] = tag >> 8; b[1] = tag & 0xff; return [b]; }});
	for (const ser of [0, 3, 0xff]) cases.push({name: `push with serializer 0x${ser.toString(16)}`, kind: 'push', build: k => { const b = pushOf(k); b[2] = ser; return [b]; }});
	cases.push({name: 'peer-status envelope on the BI stream', kind: 'push', build: () => [wrapEnvelope(ROUTE_PEER_STATUS, SERIALIZER_JSON, utf8.encode('{}'))]});
	const bodies: [string, unknown][] = [['an array', [1, 2]], ['nil', null], ['an int', 5], ['bin', new Uint8Array(4)], ['a map without direction', {activation_id: 'x'}],
		['direction sideways', {activation_id: 'x', direction: 'sideways', source_hotkey: 'h'}], ['empty activation id', {activation_id: '', direction: 'backward', source_hotkey: 'h'}],
		['tensor_bytes an int', {activation_id: 'x', direction: 'backward', source_hotkey: 'h', tensor_bytes: 5}], ['source_layer negative', {activation_id: 'x', direction: 'backward', source_hotkey: 'h', source_layer: -1}],
		['source_layer a float', {activation_id: 'x', direction: 'backward', source_hotkey: 'h', target_layer: 1.5}], ['node ids not strings', {activation_id: 'x', direction: 'backward', source_hotkey: 'h', source_p2p_node_ids: [1]}],
		['__proto__ key', JSON.parse('{"__proto__": {"direction": "backward"}, "activation_id": "x", "source_hotkey": "h"}')]];
	for (const [name, raw] of bodies) cases.push({name: `push body ${name}`, kind: 'push', build: k => [pushOf(k, {raw})]});
	cases.push({name: 'push body JSON not UTF-8', kind: 'push', build: () => [wrapEnvelope(ROUTE_ACTIVATION_PUSH, SERIALIZER_JSON, Uint8Array.of(0x7b, 0xff, 0x7d))]});
	cases.push({name: 'push body msgpack with trailing bytes', kind: 'push', build: k => [Uint8Array.from([...pushOf(k), 0xc0])]});
	return cases;
}

/** Pull requests with a wrong, absent or borrowed signature, or signed by someone who lies about who they are. */
export function signatureCases(reduced: boolean): P2PCase[] {
	const cases: P2PCase[] = [];
	const forged = (name: string, make: (k: Keys) => Uint8Array) => cases.push({name, kind: 'pull', build: k => [make(k)]});
	forged('unsigned v1 request', k => encodeUnsignedPullRequest(k.cachedId));
	forged('all-zero signature', k => encodePullRequest({activationId: k.cachedId, timestampMs: k.now(), hotkey: k.miner.address, signature: new Uint8Array(64)}));
	forged('signed by the outsider, claiming the miner', k => encodePullRequest({activationId: k.cachedId, timestampMs: k.now(), hotkey: k.miner.address, signature: k.outsider.sign(utf8.encode(pullAuthMessage(k.cachedId, k.now())))}));
	forged('signature over another activation id', k => { const t = k.now(); return encodePullRequest({activationId: k.cachedId, timestampMs: t, hotkey: k.miner.address, signature: k.miner.sign(utf8.encode(pullAuthMessage('other', t)))}); });
	forged('signature over another timestamp', k => { const t = k.now(); return encodePullRequest({activationId: k.cachedId, timestampMs: t, hotkey: k.miner.address, signature: k.miner.sign(utf8.encode(pullAuthMessage(k.cachedId, t - 1)))}); });
	forged('signature of the raw id, not its sha256', k => { const t = k.now(); return encodePullRequest({activationId: k.cachedId, timestampMs: t, hotkey: k.miner.address, signature: k.miner.sign(utf8.encode(`${k.cachedId}.${t}.`))}); });
	forged('hotkey a valid address that did not sign', k => encodePullRequest({activationId: k.cachedId, timestampMs: k.now(), hotkey: '5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM', signature: k.miner.sign(utf8.encode(pullAuthMessage(k.cachedId, k.now())))}));
	forged('hotkey with a bad checksum', k => { const b = signPullRequest(k.miner, k.cachedId); b[9 + 40] = b[9 + 40] === 0x41 ? 0x42 : 0x41; return b; });
	const flips = reduced ? 10 : 200;
	for (let i = 0; i < flips; i++) {
		forged(`signature bit ${i % 512} flipped`, k => { const b = signPullRequest(k.miner, k.cachedId); b[9 + 48 + ((i % 512) >> 3)]! ^= 1 << (i % 8); return b; });
	}
	for (let i = 0; i < (reduced ? 5 : 50); i++) {
		const r = prng(9100 + i);
		forged(`random signature ${i}`, k => encodePullRequest({activationId: k.cachedId, timestampMs: k.now(), hotkey: k.miner.address, signature: Uint8Array.from({length: 64}, () => Math.floor(r() * 256))}));
	}
	return cases;
}

/** Validly signed requests whose timestamp is outside the 30 s window, either way. */
export function staleCases(reduced: boolean): P2PCase[] {
	const offsets = [-31_000, -60_000, -3_600_000, -86_400_000 * 365, 31_000, 3_600_000, 86_400_000 * 365 * 100];
	const cases: P2PCase[] = offsets.map(d => ({name: `signed ${d / 1000} s from now`, kind: 'pull' as const, build: (k: Keys) => [signPullRequest(k.miner, k.cachedId, k.now() + d)]}));
	cases.push({name: 'signed at timestamp 0', kind: 'pull', build: k => [signPullRequest(k.miner, k.cachedId, 0)]});
	for (let i = 0; i < (reduced ? 3 : 60); i++) cases.push({name: `signed ${31 + i * 97} s ago`, kind: 'pull', build: k => [signPullRequest(k.miner, k.cachedId, k.now() - (31 + i * 97) * 1000)]});
	return cases;
}

/** Length fields claiming huge sizes, and real bodies over the caps. */
export function oversizedCases(reduced: boolean): P2PCase[] {
	const cases: P2PCase[] = [];
	const prefix = (name: string, bytes: number[]) => cases.push({name, kind: 'push', build: k => [Uint8Array.from([...pushOf(k).subarray(0, 3), ...bytes])]});
	prefix('msgpack map32 of 2^32-1 pairs', [0xdf, 0xff, 0xff, 0xff, 0xff]);
	prefix('msgpack array32 of 2^32-1', [0xdd, 0xff, 0xff, 0xff, 0xff]);
	prefix('msgpack bin32 of 4 GiB', [0x81, 0xa1, 0x78, 0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2]);
	prefix('msgpack str32 of 4 GiB', [0x81, 0xa1, 0x78, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]);
	prefix('msgpack ext32 of 4 GiB', [0x81, 0xa1, 0x78, 0xc9, 0xff, 0xff, 0xff, 0xff, 1]);
	prefix('msgpack nested 100000 deep', new Array(100_000).fill(0x91));
	cases.push({name: 'pull id length 0xffff, 10 bytes present', kind: 'pull', build: k => { const b = signPullRequest(k.miner, 'abcdefghij'); b[PULL_V2_HEADER_BYTES - 2] = 0xff; b[PULL_V2_HEADER_BYTES - 1] = 0xff; return [b]; }});
	const long = (n: number) => 'x'.repeat(n);
	cases.push({name: 'push activation id of 1025 characters', kind: 'push', build: k => [pushOf(k, {activationId: long(1025)})]});
	cases.push({name: 'push source hotkey of 65 characters', kind: 'push', build: k => [pushOf(k, {sourceHotkey: long(65)})]});
	cases.push({name: 'push sample path of 16385 characters', kind: 'push', build: k => [pushOf(k, {samplePath: long(16_385)})]});
	cases.push({name: 'push with 17 source node ids', kind: 'push', build: k => [pushOf(k, {sourceP2pNodeIds: Array.from({length: 17}, (_, i) => `n${i}`)})]});
	cases.push({name: 'push with a 129-character node id', kind: 'push', build: k => [pushOf(k, {sourceP2pNodeIds: [long(129)]})]});
	cases.push({name: 'push with a string field over 1 MiB', kind: 'push', build: k => [pushOf(k, {raw: {activation_id: 'x', direction: 'backward', source_hotkey: 'h', extra: long((1 << 20) + 1)}})]});
	cases.push({name: 'pull request of 70 000 bytes', kind: 'pull', build: k => [Uint8Array.from([...signPullRequest(k.miner, k.cachedId), ...new Uint8Array(70_000)])]});
	if (!reduced) for (const mb of [101, 120]) cases.push({name: `push body of ${mb} MiB`, kind: 'push', build: k => [pushOf(k, {tensorBytes: new Uint8Array(mb << 20)})]});
	return cases;
}

/** Every prefix of a valid signed pull request and of a valid push. */
export function truncatedCases(reduced: boolean): P2PCase[] {
	const cases: P2PCase[] = [];
	const step = reduced ? 13 : 1;
	for (let cut = 0; cut < PULL_V2_HEADER_BYTES + 9; cut += step) cases.push({name: `pull request cut to ${cut} bytes`, kind: 'pull', build: k => [signPullRequest(k.miner, k.cachedId).subarray(0, cut)]});
	for (let cut = 0; cut < 200; cut += step) cases.push({name: `push cut to ${cut} bytes`, kind: 'push', build: k => { const b = pushOf(k); return [b.subarray(0, Math.min(cut, b.length - 1))]; }});
	return cases;
}

/** A peer serves bytes that are not the tensor whose BLAKE3 the puller was told. */
export function hashCases(reduced: boolean): P2PCase[] {
	const cases: P2PCase[] = [];
	cases.push({name: 'served empty... one byte', kind: 'hash', served: () => Uint8Array.of(0)});
	cases.push({name: 'served truncated by one byte', kind: 'hash', served: g => g.subarray(0, -1)});
	cases.push({name: 'served with one extra byte', kind: 'hash', served: g => Uint8Array.from([...g, 0])});
	cases.push({name: 'served another tensor of the same size', kind: 'hash', served: g => g.map(b => b ^ 0xff)});
	const n = reduced ? 10 : 150;
	for (let i = 0; i < n; i++) cases.push({name: `served with bit ${i} flipped`, kind: 'hash', served: g => { const b = g.slice(); b[(i * 37) % b.length]! ^= 1 << (i % 8); return b; }});
	return cases;
}

/** The same signed request sent twice (the second is the hostile one), also after other traffic. */
export function replayCases(reduced: boolean): P2PCase[] {
	const n = reduced ? 5 : 100;
	return Array.from({length: n}, (_, i): P2PCase => ({name: `replay ${i}`, kind: 'pull', build: k => { const b = signPullRequest(k.miner, k.cachedId, k.now() - (i % 20) * 1000); return [b, b]; }}));
}
