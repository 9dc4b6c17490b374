// Doctor's check functions on their own: Node version, disk and memory arithmetic, clock skew, wallet file
// modes on a real temp wallet, the backend/GPU verdicts, unreachable endpoints and the printed shapes.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {chmodSync, mkdtempSync, rmSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {nodeVersionCheck} from '../../source/doctor/node-version.js';
import {diskCheck, freeDisk, memoryCheck, modelNeeds} from '../../source/doctor/resources.js';
import {chainClockCheck, checkChain, registrationCheck} from '../../source/doctor/chain.js';
import {checkOrchestrator, orchestratorClockCheck} from '../../source/doctor/orchestrator.js';
import {checkStore} from '../../source/doctor/store.js';
import {checkWallet} from '../../source/doctor/wallet.js';
import {backendChecks, NO_VULKAN_FIX} from '../../source/doctor/backend.js';
import {doctorJson, doctorText} from '../../source/doctor/report.js';
import {getConfig} from '../../source/training/config.js';
import {createWallet, coldkeyFile, hotkeyFile} from '../../source/wallet/wallet.js';
import {newMnemonic, ready} from '../../source/wallet/keys.js';

const GiB = 2 ** 30;
let dir: string;
const ref = () => ({path: join(dir, 'wallets'), name: 'w', hotkey: 'h'});

before(async () => {
	await ready();
	dir = mkdtempSync(join(tmpdir(), 'iota-doctor-'));
	await createWallet({...ref(), password: 'secret pw', coldkeyMnemonic: newMnemonic(), hotkeyMnemonic: newMnemonic()});
});
after(() => rmSync(dir, {recursive: true, force: true}));

test('node version: >= 22 passes, older fails with the install fix, both blocking', () => {
	assert.equal(nodeVersionCheck('24.1.0').ok, true);
	assert.equal(nodeVersionCheck('22.0.0').ok, true);
	const old = nodeVersionCheck('20.11.1');
	assert.deepEqual([old.ok, old.blocking], [false, true]);
	assert.match(old.fix!, /Node 22/);
	assert.equal(nodeVersionCheck('garbage').ok, false);
});

test('disk and memory: needs scale with the model and are compared with what is free', () => {
	const devnet = modelNeeds(getConfig('devnet'));
	const big = modelNeeds(getConfig('iota-15b'));
	assert.ok(devnet.params > 100_000 && devnet.params < 1_000_000, `devnet stage ${devnet.params}`);
	assert.ok(big.params > 1e9, `iota-15b stage ${big.params}`);
	assert.ok(big.memoryBytes >= big.params * 4 * 5, 'weights, grads, two moments and the anchor in f32');
	assert.ok(big.diskBytes >= big.params * 4 * 6);
	const model = getConfig('iota-15b');
	assert.equal(memoryCheck(model, 1000 * GiB, 1000 * GiB).ok, true);
	const low = memoryCheck(model, 4 * GiB, 1000 * GiB);
	assert.equal(low.ok, false);
	assert.match(low.detail, /4\.0 GiB free of 1000 GiB; model iota-15b needs about \d+ GiB/);
	assert.match(memoryCheck(model, 4 * GiB, 8 * GiB).fix!, /too little memory/);
	assert.equal(diskCheck(model, '/data', 1 * GiB).ok, false);
	assert.equal(diskCheck(getConfig('devnet'), '/data', 10 * GiB).ok, true);
});

test('free disk is read from the nearest existing folder', async () => {
	const {at, free} = await freeDisk(join(dir, 'not', 'yet', 'made'));
	assert.equal(at, dir);
	assert.ok(free > 0);
});

test('clock vs chain: a future block or a stale one on a live chain fails; the devnet builds on demand', () => {
	const now = 1_800_000_000_000;
	assert.equal(chainClockCheck(now - 6000, now, false).ok, true);
	const behind = chainClockCheck(now + 30_000, now, false);
	assert.equal(behind.ok, false);
	assert.match(behind.detail, /30 s behind/);
	assert.match(behind.fix!, /timedatectl set-ntp true/);
	assert.equal(chainClockCheck(now - 600_000, now, false).ok, false);
	assert.equal(chainClockCheck(now - 600_000, now, true).ok, true);
	assert.equal(chainClockCheck(now + 30_000, now, true).ok, true, 'a devnet block stamped ahead says nothing about this clock');
	assert.equal(chainClockCheck(0, now, false).ok, true);
});

test('clock vs orchestrator: read from the Date header', () => {
	const now = Date.parse('2026-01-01T00:00:10Z');
	const reply = (date?: string) => ({status: 200, headers: date ? {date} : {}, text: '', bytes: new Uint8Array()});
	assert.equal(orchestratorClockCheck(reply('Thu, 01 Jan 2026 00:00:10 GMT'), now).ok, true);
	const ahead = orchestratorClockCheck(reply('Thu, 01 Jan 2026 00:00:00 GMT'), now);
	assert.equal(ahead.ok, false);
	assert.match(ahead.detail, /10 s ahead/);
	assert.equal(orchestratorClockCheck(reply(), now).ok, true);
});

test('registration: a uid passes; none fails naming `iota-tui register`', () => {
	assert.equal(registrationCheck(9, '5F', 3).ok, true);
	const no = registrationCheck(9, '5F', null);
	assert.deepEqual([no.ok, no.blocking], [false, true]);
	assert.match(no.fix!, /iota-tui register/);
});

test('wallet: present and 0600 passes; a group/world-readable key file fails with chmod 600', async () => {
	const good = await checkWallet(ref());
	assert.deepEqual(good.checks.map(c => [c.name, c.ok]), [['wallet', true], ['wallet_modes', true]]);
	assert.match(good.hotkey!, /^5/);
	chmodSync(coldkeyFile(ref()), 0o644);
	try {
		const open = (await checkWallet(ref())).checks[1]!;
		assert.equal(open.ok, false);
		assert.match(open.detail, /coldkey is 0644/);
		assert.equal(open.fix, `chmod 600 ${coldkeyFile(ref())}`);
	} finally {
		chmodSync(coldkeyFile(ref()), 0o600);
	}
	chmodSync(hotkeyFile(ref()), 0o640);
	try {
		assert.equal((await checkWallet(ref())).checks[1]!.fix, `chmod 600 ${hotkeyFile(ref())}`);
	} finally {
		chmodSync(hotkeyFile(ref()), 0o600);
	}
});

test('wallet: a missing hotkey is a blocking failure naming wallet create', async () => {
	const missing = await checkWallet({...ref(), hotkey: 'nope'});
	assert.equal(missing.hotkey, null);
	assert.deepEqual([missing.checks[0]!.ok, missing.checks[0]!.blocking], [false, true]);
	assert.match(missing.checks[0]!.fix!, /iota-tui wallet create/);
});

test('backend and device: GPU backends pass; a GPU without an adapter names the Vulkan fix; CPU-only passes', () => {
	const info = (name: 'webgpu' | 'wasm', tried: string[] = []) => ({name, tfBackend: name, detail: `${name} detail`, tried});
	assert.deepEqual(backendChecks(info('webgpu'), true).map(c => c.ok), [true, true]);
	const noAdapter = backendChecks(info('wasm', ['webgpu: no WebGPU adapter (no Vulkan driver or GPU found)']), true)[1]!;
	assert.equal(noAdapter.ok, false);
	assert.equal(noAdapter.fix, NO_VULKAN_FIX);
	assert.match(noAdapter.detail, /no WebGPU adapter/);
	assert.deepEqual(backendChecks(info('wasm'), false)[1], {name: 'device', ok: true, detail: 'no GPU: training runs on the CPU (wasm)', fix: null, blocking: false});
	assert.equal(backendChecks(new Error('nothing loads'), false)[0]!.ok, false);
});

test('unreachable chain, orchestrator and store fail fast; any HTTP answer means the store is reachable', async () => {
	const server: Server = createServer((_, res) => res.writeHead(403).end('no'));
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as {port: number}).port;
	try {
		const started = Date.now();
		const [chain, orch, store] = await Promise.all([
			checkChain({url: 'ws://127.0.0.1:1', local: true, netuid: 9, timeoutMs: 2000}, Promise.resolve('5F')),
			checkOrchestrator({url: 'http://127.0.0.1:1', protocol: 'current', local: true, timeoutMs: 2000}),
			checkStore(`http://127.0.0.1:${port}`, 2000),
		]);
		assert.ok(Date.now() - started < 5000);
		assert.deepEqual(chain.map(c => [c.name, c.ok]), [['chain', false], ['clock_chain', false], ['registration', false]]);
		assert.match(chain[0]!.fix!, /iota-tui devnet/);
		assert.deepEqual(orch.map(c => [c.name, c.ok, c.blocking]), [['orchestrator', false, true], ['clock_orchestrator', false, false]]);
		assert.equal(store.ok, true);
		assert.match(store.detail, /HTTP 403 in \d+ ms/);
		assert.equal((await checkStore(null, 1000)).ok, true);
	} finally {
		server.close();
	}
});

test('output: JSON has exactly name, ok, detail, fix; text aligns and puts fixes on their own line', () => {
	const checks = [
		{name: 'node_version', ok: true, detail: 'Node 24', fix: null, blocking: true},
		{name: 'chain', ok: false, detail: 'refused', fix: 'start it', blocking: true},
	];
	assert.deepEqual(doctorJson(checks), {checks: [{name: 'node_version', ok: true, detail: 'Node 24', fix: null}, {name: 'chain', ok: false, detail: 'refused', fix: 'start it'}]});
	assert.equal(doctorText(checks), '✔ node_version  Node 24\n✖ chain         refused\n                fix: start it\n\n1 blocking check(s) failed (chain): mining cannot start until they pass\n');
});
