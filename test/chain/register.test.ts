// End to end through the real parts: `iota-tui chain` (the Subtensor runtime under chopsticks),
// a wallet made by `iota-tui wallet create`, `iota-tui register`, then the uid read back from the metagraph.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {runCli} from '../helpers/cli.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {sendAndWait, DispatchFailure} from '../../source/chain/tx.js';
import {pairFromMnemonic, newMnemonic} from '../../source/wallet/keys.js';

let dir: string;
let chainProcess: ChildProcess;
let url: string;
let chain: ChainClient;
const pw = () => join(dir, 'password');
const walletArgs = (wallet: string) => ['--wallet-path', join(dir, 'wallets'), '--wallet', wallet, '--hotkey', 'miner'];

const freePort = () => new Promise<number>(resolve => {
	const server = createServer().listen(0, '127.0.0.1', () => {
		const {port} = server.address() as {port: number};
		server.close(() => resolve(port));
	});
});

before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-register-'));
	writeFileSync(pw(), 'devnet-password\n');
	const port = await freePort();
	const cli = fileURLToPath(new URL('../../cli.tsx', import.meta.url));
	chainProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'chain', '--port', String(port), '--block-time', '0'], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}});
	url = await new Promise<string>((resolve, reject) => {
		let out = '';
		let err = '';
		const timer = setTimeout(() => reject(new Error(`chain did not start:\n${err}`)), 90_000);
		chainProcess.stderr!.on('data', d => (err += d));
		chainProcess.stdout!.on('data', d => {
			out += d;
			const m = /ws:\/\/127\.0\.0\.1:\d+/.exec(out);
			if (m) {
				clearTimeout(timer);
				resolve(m[0]);
			}
		});
		chainProcess.on('exit', code => reject(new Error(`chain exited ${code}:\n${err}`)));
	});
	assert.equal(url, `ws://127.0.0.1:${port}`);
	chain = await connectChain(url);
});

after(async () => {
	await chain?.close();
	if (chainProcess && chainProcess.exitCode === null) {
		const exited = new Promise(resolve => chainProcess.once('exit', resolve));
		chainProcess.kill('SIGTERM');
		await exited;
	}
	rmSync(dir, {recursive: true, force: true});
});

test('the local chain runs subnet 9 with a faucet', async () => {
	assert.equal(await chain.isDevnet(), true);
	assert.equal(await chain.subnetExists(9), true);
	assert.equal(await chain.registrationOpen(9), true);
	assert.ok((await chain.burn(9)) > 0n);
});

test('a fresh wallet registers on subnet 9 and the metagraph has its uid', async () => {
	const created = await runCli(['wallet', 'create', ...walletArgs('fresh'), '--password-file', pw(), '--no-prompt', '--json']);
	assert.equal(created.code, 0, created.stderr);
	const keys = JSON.parse(created.stdout) as {coldkey: string; hotkey: string};
	assert.equal(await chain.getUid(9, keys.hotkey), null);

	const reg = await runCli(['register', '--network', url, ...walletArgs('fresh'), '--password-file', pw(), '--yes']);
	assert.equal(reg.code, 0, reg.stderr);
	const uid = Number(/uid (\d+)/.exec(reg.stdout)?.[1]);
	assert.ok(Number.isInteger(uid) && uid > 0, reg.stdout);
	assert.match(reg.stderr, /funding the coldkey from the devnet faucet/);

	// The metagraph agrees: Keys(9, uid) is our hotkey and Owner(hotkey) our coldkey.
	assert.equal((await chain.hotkeys(9))[uid], keys.hotkey);
	const neuron = await chain.neuron(9, keys.hotkey);
	assert.equal(neuron.uid, uid);
	assert.equal(neuron.coldkey, keys.coldkey);

	const status = await runCli(['status', '--json', '--network', url, ...walletArgs('fresh')]);
	assert.equal(status.code, 0, status.stderr);
	const s = JSON.parse(status.stdout) as Record<string, unknown>;
	assert.equal(s.hotkey, keys.hotkey);
	assert.equal(s.netuid, 9);
	assert.equal(s.registered, true);
	assert.equal(s.uid, uid);
	for (const field of ['stake', 'incentive', 'emission']) assert.ok(field in s, field);

	const again = await runCli(['register', '--network', url, ...walletArgs('fresh'), '--password-file', pw(), '--yes', '--json']);
	assert.equal(again.code, 0, again.stderr);
	assert.deepEqual(JSON.parse(again.stdout), {hotkey: keys.hotkey, netuid: 9, uid, already_registered: true, network: url});
});

test('an unfunded coldkey gets a clear line and nothing is burned', async () => {
	const created = await runCli(['wallet', 'create', ...walletArgs('poor'), '--password-file', pw(), '--no-prompt', '--json']);
	const keys = JSON.parse(created.stdout) as {coldkey: string; hotkey: string};
	const reg = await runCli(['register', '--network', url, ...walletArgs('poor'), '--password-file', pw(), '--yes', '--no-faucet']);
	assert.equal(reg.code, 1);
	assert.match(reg.stderr, /error: insufficient balance: coldkey \S+ has τ0, registration needs τ0\.001 burn \+ τ[\d.]+ fee: fund the coldkey and retry/);
	assert.equal(await chain.getUid(9, keys.hotkey), null);
});

test('confirmation is required without a TTY, and a wrong password is refused', async () => {
	const noYes = await runCli(['register', '--network', url, ...walletArgs('poor'), '--password-file', pw()]);
	assert.equal(noYes.code, 2);
	assert.match(noYes.stderr, /pass --yes to confirm without a terminal/);
	writeFileSync(join(dir, 'wrong'), 'not-it\n');
	const wrong = await runCli(['register', '--network', url, ...walletArgs('poor'), '--password-file', join(dir, 'wrong'), '--yes']);
	assert.equal(wrong.code, 1);
	assert.match(wrong.stderr, /wrong password for this coldkey/);
});

test('dispatch errors come back as pallet.Error text', async () => {
	const poor = await pairFromMnemonic(newMnemonic());
	await chain.fundFromFaucet(poor.address, 10_000_000n);
	const other = await pairFromMnemonic(newMnemonic());
	await assert.rejects(sendAndWait(chain.api, chain.api.tx.balances.transferAllowDeath(other.address, 5_000_000_000n), poor), (error: unknown) => {
		assert.ok(error instanceof DispatchFailure);
		assert.equal(`${error.section}.${error.name}`, 'token.FundsUnavailable');
		return true;
	});
});

test('an unreachable chain is one line that says what to do', async () => {
	const port = await freePort();
	const r = await runCli(['status', '--network', `ws://127.0.0.1:${port}`, ...walletArgs('fresh')]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /^error: cannot reach the chain at ws:\/\/127\.0\.0\.1:\d+ \(.*\): is it running\? Start a local one with `iota-tui chain`/);
});
