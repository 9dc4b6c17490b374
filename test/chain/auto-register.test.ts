// `register --auto --max-burn`: the pure decision, and the CLI on the real Subtensor runtime (chopsticks devnet) waiting, resuming and registering.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {runCli} from '../helpers/cli.js';
import {startDevChain, type DevChain} from '../../source/chain/devchain.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {decide} from '../../source/chain/auto-register.js';
import type {RegistrationWindow} from '../../source/chain/registration-window.js';

let devchain: DevChain;
let chain: ChainClient;
let dir: string;
const PASSWORD = 'devnet-password';
const pw = () => join(dir, 'password');
const configDir = () => join(dir, 'config');
const wishPath = () => join(configDir(), 'auto-register.json');
const env = () => ({IOTA_TUI_CONFIG_DIR: configDir()});
const walletArgs = (wallet: string) => ['--wallet-path', join(dir, 'wallets'), '--wallet', wallet, '--hotkey', 'miner'];

before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-auto-register-'));
	writeFileSync(pw(), `${PASSWORD}\n`);
	devchain = await startDevChain({emulateYuma: false});
	chain = await connectChain(devchain.url);
});
after(async () => {
	await chain?.close();
	await devchain?.close();
	rmSync(dir, {recursive: true, force: true});
});

const open: RegistrationWindow = {
	netuid: 9, block: 100, registrationAllowed: true, registrationsThisInterval: 0, targetPerInterval: 2, registrationsThisBlock: 0,
	maxPerBlock: 1, burn: 2_000_000n, minBurn: 1n, maxBurn: 10n ** 11n, adjustmentInterval: 10, lastAdjustmentBlock: 88, blocksUntilReset: 12,
	subnetN: 3, maxUids: 256, full: false, immunityPeriod: 10,
};

test('decide registers only with no uid, an open window and the burn at or under the cap, and names what it waits for', () => {
	assert.deepEqual(decide(open, 2_000_000n, null), {action: 'register'}); // at the cap
	assert.deepEqual(decide(open, 3_000_000n, null), {action: 'register'});
	assert.deepEqual(decide(open, 1_500_000n, null), {action: 'wait', why: 'burn τ0.002 above your cap τ0.0015'});
	assert.deepEqual(decide(open, 3_000_000n, 7), {action: 'done', uid: 7});
	assert.deepEqual(decide({...open, registrationsThisInterval: 6}, 3_000_000n, null), {action: 'wait', why: 'interval full (6/6), resets in 12 blocks'});
	assert.deepEqual(decide({...open, registrationAllowed: false}, 3_000_000n, null), {action: 'wait', why: 'registration disabled on subnet 9'});
	assert.equal(decide({...open, registrationsThisBlock: 1}, 3_000_000n, null).action, 'wait');
	assert.equal(decide({...open, burn: null}, 3_000_000n, null).action, 'wait'); // an unread burn never registers
	// A closed window is named before the burn: raising the cap would not help.
	assert.match((decide({...open, registrationAllowed: false}, 1n, null) as {why: string}).why, /disabled/);
});

async function createWallet(name: string) {
	const created = await runCli(['wallet', 'create', ...walletArgs(name), '--password-file', pw(), '--no-prompt', '--json'], {env: env()});
	assert.equal(created.code, 0, created.stderr);
	return JSON.parse(created.stdout) as {coldkey: string; hotkey: string};
}

/** Runs `register --auto` until stdout matches `until`, then sends SIGINT; returns its output and exit code. */
async function runUntil(args: string[], until: RegExp) {
	const cli = fileURLToPath(new URL('../../cli.tsx', import.meta.url));
	const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1', ...env()}});
	let stdout = '';
	let stderr = '';
	child.stderr.on('data', d => (stderr += d));
	const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)));
	const seen = new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no ${until} in time\n${stdout}\n${stderr}`)), 90_000);
		child.stdout.on('data', d => {
			stdout += d;
			if (until.test(stdout)) {
				clearTimeout(timer);
				resolve();
			}
		});
	});
	try {
		await seen;
		await chain.api.rpc('dev_newBlock' as never, {count: 1} as never); // a new block with no change prints nothing new
		await new Promise(r => setTimeout(r, 1000));
	} finally {
		child.kill('SIGINT');
	}
	return {code: await exited, stdout, stderr};
}

test('a cap below the burn waits, saves the wish (0600, no password), registers nothing, and a rerun resumes the stored cap', async () => {
	const keys = await createWallet('capped');
	const args = ['register', '--auto', '--network', devchain.url, ...walletArgs('capped'), '--password-file', pw()];
	const first = await runUntil([...args, '--max-burn', '0.0005'], /waiting: /);
	assert.equal(first.code, 0, first.stderr);
	assert.match(first.stdout, /waiting: burn τ0\.001 above your cap τ0\.0005 \(block \d+\)/);
	assert.equal(first.stdout.match(/waiting: /g)!.length, 1, first.stdout); // one line per change, not per block
	assert.match(first.stdout, /stopped; the wish is kept/);
	assert.equal(await chain.getUid(9, keys.hotkey), null);

	assert.equal(statSync(wishPath()).mode & 0o777, 0o600);
	const text = readFileSync(wishPath(), 'utf8');
	assert.ok(!text.includes(PASSWORD));
	const wish = JSON.parse(text) as Record<string, unknown>;
	assert.deepEqual({...wish, created_at: 'x'}, {network: devchain.url, netuid: 9, wallet: 'capped', hotkey: 'miner', max_burn_rao: '500000', created_at: 'x'});

	const resumed = await runUntil([...args, '--json'], /"event":"waiting"/);
	assert.equal(resumed.code, 0, resumed.stderr);
	assert.match(resumed.stderr, /resuming the saved wish from \S+: cap τ0\.0005/);
	const waiting = JSON.parse(resumed.stdout.split('\n')[0]!) as Record<string, unknown>;
	assert.equal(waiting.event, 'waiting');
	assert.equal(waiting.cap_rao, '500000');
	assert.equal(waiting.burn_rao, '1000000');
	assert.equal(typeof waiting.block, 'number');
	assert.equal(await chain.getUid(9, keys.hotkey), null);
	assert.ok(existsSync(wishPath()));

	const cancel = await runCli([...args, '--cancel'], {env: env()});
	assert.equal(cancel.code, 0, cancel.stderr);
	assert.match(cancel.stdout, /cancelled/);
	assert.ok(!existsSync(wishPath()));
	const none = await runCli(args, {env: env()});
	assert.equal(none.code, 2);
	assert.match(none.stderr, /--auto needs --max-burn TAO/);
});

test('a cap at the burn registers, prints the uid and the burn paid, removes the wish, and the balance drops by the burn plus the fee', async () => {
	const keys = await createWallet('ready');
	await chain.fundFromFaucet(keys.coldkey); // funded up front so the balance moves only by the registration
	const before = await chain.balance(keys.coldkey);
	const burn = await chain.burn(9);
	assert.equal(burn, 1_000_000n);
	const r = await runCli(['register', '--auto', '--max-burn', '0.001', '--no-faucet', '--json', '--network', devchain.url, ...walletArgs('ready'), '--password-file', pw()], {env: env()});
	assert.equal(r.code, 0, r.stderr);
	const event = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {event: string; uid: number; burn_rao: string; fee_rao: string; block: number};
	assert.equal(event.event, 'registered');
	assert.equal(await chain.getUid(9, keys.hotkey), event.uid);
	assert.equal(BigInt(event.burn_rao), burn);
	assert.ok(BigInt(event.burn_rao) <= 1_000_000n); // never above the cap
	assert.equal(before - (await chain.balance(keys.coldkey)), BigInt(event.burn_rao) + BigInt(event.fee_rao));
	assert.ok(!existsSync(wishPath()));

	const text = await runCli(['register', '--auto', '--max-burn', '0.001', '--network', devchain.url, ...walletArgs('ready'), '--password-file', pw()], {env: env()});
	assert.equal(text.code, 0, text.stderr);
	assert.match(text.stdout, new RegExp(`already registered on subnet 9: uid ${event.uid}`));
});
