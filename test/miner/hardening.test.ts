// The real miner (runtime in-process, and the CLI as a child) against a hostile fake orchestrator
// and store on loopback, with a real local chain: it keeps moving after failed publishes, pauses
// on work it cannot do, keeps hostile uids out of keys, and SIGTERM ends it within 10 s.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {randomUUID} from 'node:crypto';
import {startFakes, type Fakes} from '../../fuzz/miner-fakes.js';
import {runMiner, startShared, until, type Shared} from '../../fuzz/miner-harness.js';
import {createWallet} from '../../source/wallet/wallet.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';

let shared: Shared;
const fakes: Fakes[] = [];
const fake = async (layer: number) => {
	const f = await startFakes({layer});
	fakes.push(f);
	return f;
};
const noWork = {activation_uid: null, activation_path: null, direction: null, initial_activation: null, initial_activation_path: null, reason: 'no_activation_found'};

before(async () => {
	shared = await startShared();
});
after(async () => {
	for (const f of fakes) await f.close();
	await shared?.close();
});

test('two quick publish failures (401, then HTML 200) do not wedge the upload queue; stop ends within 10 s', async () => {
	const f = await fake(0);
	let failures = 0;
	f.routes.set('POST /orchestrator/miners/status', () => (failures++ === 0 ? {status: 401, json: {detail: 'Not authenticated'}} : failures === 2 ? {body: '<html>oops</html>'} : undefined));
	const run = await runMiner(shared, f);
	const moved = await until(() => f.published.length >= 4, 45_000);
	const took = await run.stop();
	assert.ok(failures >= 2, 'both failures were served');
	assert.ok(moved, `uploads stopped moving after the failed publishes (${f.published.length} published)`);
	assert.notEqual(took, null, 'stop() ended within 10 s');
	assert.equal(run.handle.fatalError(), null);
});

test('a 600 MB reply to /storage/activations/random is refused in one line; the miner keeps running', async () => {
	const f = await fake(1);
	let served = 0;
	f.routes.set('POST /storage/activations/random', () => (served++ === 0 ? {huge: 600 * 1024 * 1024} : {json: noWork}));
	const run = await runMiner(shared, f);
	assert.ok(await until(() => f.hitCount('POST /storage/activations/random') >= 3, 45_000), 'asked again after the huge reply');
	const errors = run.events.flatMap(e => (e.type === 'error' ? [e.message] : []));
	assert.ok(errors.some(m => /over the 1 MB limit/.test(m) && !m.includes('\n')), errors.join(' | '));
	assert.notEqual(await run.stop(), null);
	assert.equal(run.handle.fatalError(), null);
});

test('a backward naming an unknown uid is skipped with a growing pause, not retried in a tight loop', async () => {
	const f = await fake(1);
	f.routes.set('POST /storage/activations/random', () => ({json: {...noWork, reason: null, activation_uid: randomUUID(), activation_path: `${f.storeUrl}/act/in.bin`, direction: 'backward'}}));
	const run = await runMiner(shared, f);
	assert.ok(await until(() => f.hitCount('POST /storage/activations/random') > 0, 45_000));
	const start = f.hitCount('POST /storage/activations/random');
	await new Promise(resolve => setTimeout(resolve, 5000));
	const asked = f.hitCount('POST /storage/activations/random') - start;
	assert.notEqual(await run.stop(), null);
	// pollMs is 250 here: the pause doubles from 500 ms, so 5 s hold a handful of asks (a loop made thousands).
	assert.ok(asked <= 10, `${asked} requests in 5 s`);
	assert.ok(run.events.some(e => e.type === 'log' && /holds no forward for it: skipped/.test(e.text)));
	assert.equal(f.hitCount('store GET /act/in.bin'), 0, 'the gradient of unknown work is not even downloaded');
});

test('hostile uids from the orchestrator are never used in storage keys or published', async () => {
	const f = await fake(1);
	const hostile = ['../../../etc/passwd', 'a/../../b', 'x'.repeat(3000)];
	let i = 0;
	f.routes.set('POST /storage/activations/random', () => ({json: i < hostile.length ? {...noWork, reason: null, activation_uid: hostile[i++], activation_path: `${f.storeUrl}/act/in.bin`, direction: 'forward'} : noWork}));
	const run = await runMiner(shared, f);
	assert.ok(await until(() => i === hostile.length && f.hitCount('POST /storage/activations/random') > hostile.length, 45_000));
	assert.notEqual(await run.stop(), null);
	assert.deepEqual(f.puts, [], 'nothing uploaded for hostile work');
	assert.deepEqual(f.published, []);
	assert.ok(!run.events.some(e => e.type === 'batch'), 'no training on hostile work');
});

test('SIGTERM ends `iota-tui mine --headless` within 10 s while an upload hangs; the upload stays queued on disk', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-sigterm-'));
	try {
		const hotkeyMnemonic = newMnemonic();
		const coldkeyMnemonic = newMnemonic();
		const wallet = {path: join(dir, 'wallets'), name: 'w', hotkey: 'default'};
		await createWallet({...wallet, password: 'pw-sigterm', coldkeyMnemonic, hotkeyMnemonic});
		const coldkey = await pairFromMnemonic(coldkeyMnemonic);
		const hotkey = await pairFromMnemonic(hotkeyMnemonic);
		await shared.chain.fundFromFaucet(coldkey.address);
		await shared.chain.burnedRegister(coldkey, hotkey.address, shared.netuid);
		const f = await fake(0);
		f.storeRoutes.push(r => (r.method === 'PUT' ? {hang: true} : undefined)); // every upload hangs
		const dataDir = join(dir, 'data');
		const child = spawn(process.execPath, ['--import', 'tsx', 'test/miner/cli-entry.ts', 'mine', '--headless', '--network', shared.chain.url,
			'--netuid', String(shared.netuid), '--orchestrator', f.url, '--wallet-path', wallet.path, '--wallet', wallet.name, '--hotkey', wallet.hotkey,
			'--model', 'tiny', '--backend', 'cpu', '--data-dir', dataDir], {stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, IOTA_TUI_CONFIG_DIR: join(dir, 'config')}});
		let stderr = '';
		child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
		const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
		const hanging = await until(() => [...f.hits.keys()].some(k => k.startsWith('store PUT')), 90_000);
		assert.ok(hanging, `no upload reached the store: ${stderr}`);
		const t0 = Date.now();
		child.kill('SIGTERM');
		let timer: NodeJS.Timeout | undefined;
		const code = await Promise.race([exited, new Promise<'hung'>(resolve => (timer = setTimeout(() => resolve('hung'), 10_000)))]);
		clearTimeout(timer);
		if (code === 'hung') child.kill('SIGKILL');
		assert.notEqual(code, 'hung', `still running 10 s after SIGTERM: ${stderr}`);
		assert.equal(code, 0, stderr);
		assert.ok(Date.now() - t0 < 10_000);
		const jobs = readdirSync(join(dataDir, 'uploads', hotkey.address, 'jobs'));
		assert.ok(jobs.length > 0, 'the unfinished uploads are still queued on disk');
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});
