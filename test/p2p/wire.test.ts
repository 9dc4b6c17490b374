// Wire-format interop: Python (Debian's python3-msgpack, b3sum for BLAKE3) builds IOTA frames from the documented
// layout, a separate iroh process (foreign-peer.ts) carries them to iota-tui's node, and iota-tui's own frames,
// sent over the wire or written out, are read back by the same Python.
import assert from 'node:assert/strict';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {Keyring} from '@polkadot/keyring';
import {u8aToHex} from '@polkadot/util';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {
	P2PStatus, P2PTransport, ROUTE_ACTIVATION_PUSH, ROUTE_PEER_STATUS, blake3Hex, encodeActivationPush, encodePeerStatus,
	encodePullResponse, routeTag, signPullRequest, type InboundPush, type PeerAddr, type PeerStatus,
} from '../../source/p2p/index.js';

const PY = '/usr/bin/python3';
const HELPER = join(import.meta.dirname, 'wire_helper.py');
const FOREIGN = join(import.meta.dirname, 'foreign-peer.ts');

/** Why the interop tools are missing, or '' when all are there. */
const missing = (() => {
	const why: string[] = [];
	if (spawnSync(PY, ['-c', 'import msgpack'], {stdio: 'ignore', timeout: 60_000}).status !== 0) why.push('python3-msgpack (import msgpack)');
	if (spawnSync('b3sum', ['--version'], {stdio: 'ignore', timeout: 60_000}).status !== 0) why.push('b3sum');
	return why.length ? `missing ${why.join(' and ')} (Debian: apt-get install python3-msgpack b3sum)` : '';
})();
// CI (IOTA_REQUIRE_TORCH=1) installs them, so there a missing tool fails instead of skipping.
if (missing && process.env.IOTA_REQUIRE_TORCH === '1') test('wire-format tools are installed', () => assert.fail(`IOTA_REQUIRE_TORCH=1 but ${missing}`));
const skip = missing || false;

const dir = mkdtempSync(join(tmpdir(), 'iota-p2p-wire-'));
const py = (...args: string[]): any => {
	const r = spawnSync(PY, [HELPER, ...args], {encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20});
	if (r.status !== 0) throw new Error(`wire_helper.py ${args[0]} failed: ${r.stderr}`);
	return JSON.parse(r.stdout);
};
const pyJson = (cmd: string, spec: object, ...rest: string[]) => {
	const path = join(dir, `${cmd}-${Math.random().toString(36).slice(2)}.json`);
	writeFileSync(path, JSON.stringify(spec));
	return py(cmd, path, ...rest);
};
/** Runs foreign-peer.ts in its own Node process (tsx); async, since iota-tui's handlers run on this thread. */
function foreignSend(target: PeerAddr, messages: object[]): Promise<void> {
	const child = spawn(process.execPath, ['--import', 'tsx', FOREIGN, JSON.stringify({mode: 'send', target, messages})], {stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000});
	let stderr = '';
	child.stderr.on('data', d => { stderr += d; });
	return new Promise((resolve, reject) => child.once('exit', (code, signal) =>
		code === 0 ? resolve() : reject(new Error(`foreign peer failed (${code ?? signal}): ${stderr.split('\n').slice(0, 6).join(' | ')}`))));
}

let keyring: Keyring;
let node: P2PTransport | undefined;
const pushes: InboundPush[] = [];
const statuses: Array<{status: PeerStatus; from: string}> = [];
// Every byte value, in a pattern that is not periodic in 256, so any shift or truncation shows.
const tensor = Uint8Array.from({length: (1 << 20) + 13}, (_, i) => (i * 131 + (i >> 9)) & 0xff);
const tensorFile = join(dir, 'tensor.bin');
const ACT = 'wire-act-7f3a';

before(async () => {
	if (skip) return;
	await cryptoWaitReady();
	keyring = new Keyring({type: 'sr25519', ss58Format: 42});
	writeFileSync(tensorFile, tensor);
	node = await P2PTransport.start({hotkey: keyring.addFromUri('//Alice').address, bindAddr: '127.0.0.1:0', healthIntervalMs: 0, timeouts: {receiveMs: 30_000}});
	node.setTraining(true);
	node.onPush(p => { pushes.push(p); return P2PStatus.SUCCESS; });
	node.onPeerStatus((status, from) => statuses.push({status, from}));
	await node.cache.put(ACT, tensor);
});
after(async () => {
	await node?.close();
	rmSync(dir, {recursive: true, force: true});
});

test('route tags are CRC32 & 0xFFFF of the route, as Python computes them', {skip}, () => {
	const built = pyJson('build', buildSpec('0'.repeat(128), 0), dir);
	assert.equal(built.tags[ROUTE_ACTIVATION_PUSH], routeTag(ROUTE_ACTIVATION_PUSH));
	assert.equal(built.tags[ROUTE_PEER_STATUS], routeTag(ROUTE_PEER_STATUS));
	assert.equal(routeTag(ROUTE_ACTIVATION_PUSH), 0xde5c);
	assert.equal(routeTag(ROUTE_PEER_STATUS), 0xc0ed);
});

function buildSpec(signatureHex: string, ts: number) {
	return {
		activation_id: ACT, ts, ss58: keyring.addFromUri('//Bob').address, signature_hex: signatureHex, tensor_file: tensorFile,
		push: {activation_id: 'py-push-1', direction: 'forward', source_hotkey: keyring.addFromUri('//Bob').address, source_p2p_node_ids: ['ab'.repeat(32)], sample_path: 'https://s3.example/sample?x=1', source_layer: 0, target_layer: 1},
		json_tensor_text: 'plain ascii tensor',
		peer_status: {source_hotkey: keyring.addFromUri('//Bob').address, forward_queue_size: 3, backward_queue_size: 1, cache_size: 7, cache_capacity: 100, uptime_seconds: 12.5, layer_phase: 'training', last_status_received: 0.0},
	};
}

test('Python-made frames, sent by a separate iroh process, are understood by iota-tui', {skip, timeout: 300_000}, async () => {
	const bob = keyring.addFromUri('//Bob');
	const ts = Date.now();
	const {text} = py('message', ACT, String(ts));
	const built = pyJson('build', buildSpec(u8aToHex(bob.sign(new TextEncoder().encode(text))).slice(2), ts), dir);
	const f = built.files;
	const out = (name: string) => join(dir, `reply-${name}.bin`);
	await foreignSend(node!.addr(), [
		{alpn: 'bi', in: f.pull_request, out: out('pull')},
		{alpn: 'bi', in: f.pull_request_v1, out: out('pull-v1')},
		{alpn: 'bi', in: f.push_envelope, out: out('push')},
		{alpn: 'bi', in: f.push_envelope_json, out: out('push-json')},
		{alpn: 'uni', in: f.peer_status},
	]);
	// The signed pull got the cached tensor; Python reads the response and b3sum agrees with iota-tui's cache hash.
	const reply = pyJson('decode', {outdir: dir, pull_response: out('pull')});
	const cached = node!.cache.get(ACT);
	assert.equal(cached.status, 'hit');
	assert.deepEqual(reply.pull_response, {status: 'SUCCESS', len: tensor.length, b3: cached.status === 'hit' ? cached.entry.hash : ''});
	assert.equal(built.tensor_b3, await blake3Hex(tensor));
	assert.deepEqual([...readFileSync(out('pull-v1'))], [P2PStatus.UNAUTHORIZED], 'unsigned v1 pull is refused');
	assert.deepEqual([...readFileSync(out('push'))], [P2PStatus.SUCCESS]);
	assert.deepEqual([...readFileSync(out('push-json'))], [P2PStatus.SUCCESS]);

	const msgpackPush = pushes.find(p => p.activationId === 'py-push-1');
	assert.ok(msgpackPush, 'the msgpack push reached the handler');
	assert.equal(msgpackPush.direction, 'forward');
	assert.equal(msgpackPush.sourceHotkey, bob.address);
	assert.deepEqual(msgpackPush.sourceP2pNodeIds, ['ab'.repeat(32)]);
	assert.equal(msgpackPush.samplePath, 'https://s3.example/sample?x=1');
	assert.equal(msgpackPush.sourceLayer, 0);
	assert.equal(msgpackPush.targetLayer, 1);
	assert.equal(msgpackPush.hash, built.tensor_b3, 'BLAKE3 of the pushed tensor equals b3sum of the original');
	assert.deepEqual(Buffer.from(msgpackPush.tensorBytes), Buffer.from(tensor));
	const jsonPush = pushes.find(p => p.activationId === 'py-push-1-json');
	assert.equal(Buffer.from(jsonPush!.tensorBytes).toString(), 'plain ascii tensor');
	assert.equal(jsonPush!.samplePath, 'https://s3.example/sample?x=1');

	// UNI delivery is acknowledged at the QUIC level; the handler runs just after.
	for (let i = 0; i < 100 && statuses.length === 0; i++) await new Promise(r => setTimeout(r, 50));
	assert.equal(statuses.length, 1);
	const s = statuses[0]!.status;
	assert.deepEqual(
		[s.sourceHotkey, s.forwardQueueSize, s.backwardQueueSize, s.cacheSize, s.cacheCapacity, s.uptimeSeconds, s.layerPhase],
		[bob.address, 3, 1, 7, 100, 12.5, 'training'],
	);
	assert.ok(s.lastStatusReceived > 0, 'the receiver stamps the arrival time');
});

test("iota-tui's frames decode in Python, byte-exact where Python would pack the same dict", {skip}, async () => {
	const alice = keyring.addFromUri('//Alice');
	const write = (name: string, data: Uint8Array) => { const p = join(dir, `ts-${name}.bin`); writeFileSync(p, data); return p; };
	const ts = Date.now();
	const push = {activationId: 'ts-push-1', direction: 'backward' as const, sourceHotkey: alice.address, sourceP2pNodeIds: [node!.nodeId], tensorBytes: tensor, sourceLayer: 2, targetLayer: 1};
	const status: PeerStatus = {sourceHotkey: alice.address, forwardQueueSize: 0, backwardQueueSize: 2, cacheSize: 5, cacheCapacity: 100, uptimeSeconds: 3.25, layerPhase: 'training', lastStatusReceived: 0};
	const r = pyJson('decode', {
		outdir: dir,
		pull_request: write('pull', signPullRequest(alice, ACT, ts)),
		pull_response: write('resp', encodePullResponse(P2PStatus.SUCCESS, tensor)),
		push_envelope: write('push', encodeActivationPush(push)),
		peer_status: write('status', encodePeerStatus(status)),
	});
	assert.equal(r.pull_request.ts, ts);
	assert.equal(r.pull_request.ss58, alice.address);
	assert.equal(r.pull_request.activation_id, ACT);
	const {signatureVerify} = await import('@polkadot/util-crypto');
	assert.ok(signatureVerify(new TextEncoder().encode(r.pull_request.signed_text), `0x${r.pull_request.signature_hex}`, alice.address).isValid,
		'the signature verifies over the text Python derives');
	assert.deepEqual(r.pull_response, {status: 'SUCCESS', len: tensor.length, b3: await blake3Hex(tensor)});
	const pf = r.push_envelope.fields;
	assert.deepEqual(r.push_envelope.keys, ['activation_id', 'direction', 'source_hotkey', 'source_p2p_node_ids', 'tensor_bytes', 'sample_path', 'source_layer', 'target_layer']);
	assert.deepEqual(pf.tensor_bytes, {type: 'bytes', len: tensor.length, b3: await blake3Hex(tensor)});
	assert.deepEqual([pf.activation_id.value, pf.direction.value, pf.source_hotkey.value, pf.source_p2p_node_ids.value, pf.sample_path.value, pf.source_layer.value, pf.target_layer.value],
		['ts-push-1', 'backward', alice.address, [node!.nodeId], null, 2, 1]);
	assert.equal(pf.source_layer.type, 'int');
	assert.equal(r.push_envelope.python_repack_equal, true, 'Python packs the decoded dict to the very same bytes');
	const sf = r.peer_status.fields;
	assert.deepEqual(Object.fromEntries(Object.entries(sf).map(([k, v]: [string, any]) => [k, v.value])), {
		source_hotkey: alice.address, forward_queue_size: 0, backward_queue_size: 2, cache_size: 5, cache_capacity: 100,
		uptime_seconds: 3.25, layer_phase: 'training', last_status_received: 0,
	});
});

test("iota-tui's push and pull over the wire, served by the foreign peer, read back in Python", {skip, timeout: 300_000}, async () => {
	const alice = keyring.addFromUri('//Alice');
	const serveDir = mkdtempSync(join(dir, 'serve-'));
	const built = pyJson('build', buildSpec('0'.repeat(128), 0), dir);
	const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', FOREIGN,
		JSON.stringify({mode: 'serve', dir: serveDir, replies: [built.files.push_ack_success, built.files.pull_response]})], {stdio: ['pipe', 'pipe', 'inherit']});
	try {
		const peer: PeerAddr = await new Promise((resolve, reject) => {
			child.stdout!.once('data', d => resolve(JSON.parse(String(d).split('\n')[0]!)));
			child.once('exit', code => reject(new Error(`foreign peer exited with ${code}`)));
		});
		const pushed = await node!.push(peer, {activationId: 'ts-wire-push', direction: 'forward', sourceHotkey: alice.address, sourceP2pNodeIds: [node!.nodeId], tensorBytes: tensor, samplePath: 's3://bucket/x', sourceLayer: 0, targetLayer: 1});
		assert.equal(pushed.status, P2PStatus.SUCCESS, pushed.error);
		const pulled = await node!.pull(peer, 'py-cached', alice, {expectedHash: built.tensor_b3});
		assert.equal(pulled.status, P2PStatus.SUCCESS, pulled.error);
		assert.equal(pulled.hashOk, true, 'BLAKE3 of the pulled bytes equals b3sum of the file Python served');
		assert.deepEqual(Buffer.from(pulled.tensor!), Buffer.from(tensor));

		const files = readdirSync(serveDir).sort();
		assert.deepEqual(files, ['0.bi.bin', '1.bi.bin']);
		const r = pyJson('decode', {outdir: dir, push_envelope: join(serveDir, '0.bi.bin'), pull_request: join(serveDir, '1.bi.bin')});
		assert.equal(r.push_envelope.fields.activation_id.value, 'ts-wire-push');
		assert.equal(r.push_envelope.fields.sample_path.value, 's3://bucket/x');
		assert.equal(r.push_envelope.fields.tensor_bytes.b3, built.tensor_b3);
		assert.equal(r.push_envelope.python_repack_equal, true);
		assert.equal(r.pull_request.activation_id, 'py-cached');
		assert.equal(r.pull_request.ss58, alice.address);
		const {signatureVerify} = await import('@polkadot/util-crypto');
		assert.ok(signatureVerify(new TextEncoder().encode(r.pull_request.signed_text), `0x${r.pull_request.signature_hex}`, alice.address).isValid);
	} finally {
		child.stdin!.end();
		child.kill();
	}
});
