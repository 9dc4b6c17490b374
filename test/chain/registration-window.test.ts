// The registration window on the real Subtensor runtime (chopsticks devnet), its pure rules, and `register --watch`.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {startDevChain, type DevChain} from '../../source/chain/devchain.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {burnTrend, readRegistrationWindow, windowOpen, type RegistrationWindow} from '../../source/chain/registration-window.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';

let devchain: DevChain;
let chain: ChainClient;

before(async () => {
	devchain = await startDevChain({emulateYuma: false});
	chain = await connectChain(devchain.url);
});
after(async () => {
	await chain?.close();
	await devchain?.close();
});

const newBlock = () => chain.api.rpc('dev_newBlock' as never, {count: 1} as never);

const base: RegistrationWindow = {
	netuid: 9, block: 100, registrationAllowed: true, registrationsThisInterval: 0, targetPerInterval: 2, registrationsThisBlock: 0,
	maxPerBlock: 1, burn: 1n, minBurn: 1n, maxBurn: 10n, adjustmentInterval: 10, lastAdjustmentBlock: 95, blocksUntilReset: 5,
	subnetN: 3, maxUids: 3, full: true, immunityPeriod: 10,
};

test('windowOpen follows do_burned_registration: allowed, block under its max, interval under 3x target', () => {
	assert.deepEqual(windowOpen(base), {open: true, reason: null}); // a full subnet still registers (it prunes)
	assert.equal(windowOpen({...base, registrationAllowed: false}).open, false);
	assert.match(windowOpen({...base, registrationsThisBlock: 1}).reason!, /block at its maximum/);
	assert.equal(windowOpen({...base, registrationsThisInterval: 5}).open, true);
	assert.match(windowOpen({...base, registrationsThisInterval: 6}).reason!, /interval at 3x target \(6\/6\)/);
	assert.equal(windowOpen({...base, registrationsThisBlock: null, maxPerBlock: null}).open, true); // missing fields do not close it
});

test('burnTrend compares the last reading with the first', () => {
	assert.equal(burnTrend([]), 'flat');
	assert.equal(burnTrend([5n]), 'flat');
	assert.equal(burnTrend([5n, 7n, 5n]), 'flat');
	assert.equal(burnTrend([5n, 4n, 6n]), 'up');
	assert.equal(burnTrend([5n, 6n, 3n]), 'down');
});

test('readRegistrationWindow matches the devnet, and a burned registration counts once in the interval and the subnet', async () => {
	const initial = await readRegistrationWindow(chain, 9);
	assert.equal(initial.registrationAllowed, true);
	assert.equal(initial.targetPerInterval, 64); // devchain.ts tunes subnet 9
	assert.equal(initial.maxPerBlock, 64);
	assert.equal(initial.maxUids, 256);
	assert.equal(initial.immunityPeriod, 5000);
	assert.equal(initial.adjustmentInterval, 360);
	assert.equal(initial.burn, await chain.burn(9));
	assert.equal(initial.full, false);
	assert.ok(initial.blocksUntilReset! > 0 && initial.blocksUntilReset! <= 360);
	assert.equal(initial.block, Number((await chain.api.rpc.chain.getHeader()).number.toString()));

	const coldkey = await pairFromMnemonic(newMnemonic());
	const hotkey = await pairFromMnemonic(newMnemonic());
	await chain.topUpForRegistration(coldkey.address, 9);
	const {blockHash} = await chain.burnedRegister(coldkey, hotkey.address, 9);
	const registered = await readRegistrationWindow(chain, 9, blockHash);
	assert.equal(registered.registrationsThisInterval, initial.registrationsThisInterval! + 1);
	assert.equal(registered.registrationsThisBlock, 1);
	assert.equal(registered.subnetN, initial.subnetN! + 1);
});

test('`register --watch --json` prints one line per block until SIGINT, then exits 0', async () => {
	const cli = fileURLToPath(new URL('../../cli.tsx', import.meta.url));
	const child = spawn(process.execPath, ['--import', 'tsx', cli, 'register', '--watch', '--json', '--network', devchain.url, '--netuid', '9'], {
		stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'},
	});
	let stderr = '';
	child.stderr.on('data', d => (stderr += d));
	const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)));
	const lines: Record<string, unknown>[] = [];
	let buffered = '';
	const twoLines = new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no two lines in time\n${stderr}`)), 90_000);
		child.stdout.on('data', d => {
			buffered += d;
			const parts = buffered.split('\n');
			buffered = parts.pop()!;
			for (const line of parts) lines.push(JSON.parse(line) as Record<string, unknown>);
			if (lines.length === 1) void newBlock(); // the head comes first; a new block brings the second line
			if (lines.length >= 2) {
				clearTimeout(timer);
				resolve();
			}
		});
	});
	try {
		await twoLines;
	} finally {
		child.kill('SIGINT');
	}
	assert.equal(await exited, 0, stderr);
	const [first, second] = lines as [Record<string, unknown>, Record<string, unknown>];
	assert.equal(second.block, (first.block as number) + 1);
	for (const key of ['burn_rao', 'burn_trend', 'registrations_this_interval', 'target_per_interval', 'registrations_this_block', 'max_per_block',
		'blocks_until_reset', 'open', 'reason', 'subnet_n', 'max_uids', 'full', 'immunity_period']) assert.ok(key in second, key);
	assert.equal(second.netuid, 9);
	assert.equal(second.open, true);
	assert.equal(second.burn_trend, 'flat');
	assert.equal(second.target_per_interval, 64);
	assert.equal(typeof second.burn_rao, 'string');
	assert.equal(second.registrations_this_block, 0);
});
