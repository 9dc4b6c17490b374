// The first-run wizard, driven by keys through ink-testing-library against a REAL local Subtensor
// chain (chopsticks, subnet 9) started here, with real wallet files in a temp folder.
// Every unlock runs Argon2i with 512 MiB (4-7 s), so frames are awaited with a bounded poll.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {stripVTControlCharacters} from 'node:util';
import React from 'react';
import {render} from 'ink-testing-library';
import {Wizard, type WizardExit} from '../../source/setup/Wizard.js';
import {makeSetupServices, type SetupContext, type SetupServices} from '../../source/setup/services.js';
import type {SetupEvent, SetupInfo, SetupState} from '../../source/setup/state.js';
import type {RegistrationWindow} from '../../source/chain/registration-window.js';
import type {Check} from '../../source/doctor/types.js';
import {wishFile} from '../../source/chain/auto-register.js';
import {startDevChain, type DevChain} from '../../source/chain/devchain.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {keyDataFromMnemonic} from '../../source/wallet/keys.js';
import type {WalletRef} from '../../source/wallet/wallet.js';

const ENTER = '\r';
const DOWN = '\u001B[B';
const UP = '\u001B[A';
const PASSWORD = 'wizard-pass-1';
const NETUID = 9;

let dir: string;
let devchain: DevChain;
let chain: ChainClient;
const saved: string[] = [];
const open: {services: SetupServices; unmount: () => void}[] = [];

before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-wizard-'));
	devchain = await startDevChain();
	chain = await connectChain(devchain.url);
});
after(async () => {
	for (const o of open) {
		o.unmount();
		await o.services.close();
	}
	await chain?.close();
	await devchain?.close();
	rmSync(dir, {recursive: true, force: true});
});

const tick = () => new Promise(resolve => setTimeout(resolve, 20));

const configDir = () => join(dir, 'config');

function start(wallet: WalletRef, info: SetupInfo, over: Partial<SetupContext> = {}) {
	const services = makeSetupServices({wallet, netuid: NETUID, devnetUrl: devchain.url, saveNetwork: n => saved.push(n), configDir: configDir(), ...over});
	return drive(services, info);
}

/** Renders the wizard over these services and gives the helpers that wait for frames and type keys. */
function drive(services: SetupServices, info: SetupInfo) {
	let exited: SetupState | null = null;
	let choice: WizardExit | null = null;
	const app = render(<Wizard info={info} services={services} wishFile={wishFile(configDir())} onExit={(s, next) => ((exited = s), (choice = next))} />);
	open.push({services, unmount: app.unmount});
	const frame = () => stripVTControlCharacters(app.lastFrame() ?? '');
	// Polls the frame every 50 ms until it matches, for at most `ms` (bounded: never hangs the suite).
	const waitFor = async (pattern: RegExp, ms = 60_000) => {
		const deadline = Date.now() + ms;
		for (;;) {
			const f = frame();
			const m = pattern.exec(f);
			if (m) return m;
			if (Date.now() > deadline) assert.fail(`no frame matched ${pattern} within ${ms / 1000} s; last frame:\n${f}`);
			await new Promise(resolve => setTimeout(resolve, 50));
		}
	};
	// Ink subscribes input handlers in effects, which can run after the frame is visible when the
	// machine is busy: a key sent too early is dropped. With `leaving`, resend until the screen moves on.
	const press = async (keys: string, leaving?: RegExp) => {
		for (let attempt = 0; attempt < 20; attempt++) {
			app.stdin.write(keys);
			await tick();
			if (!leaving) return;
			const deadline = Date.now() + 1000;
			while (Date.now() < deadline) {
				if (!leaving.test(frame())) return;
				await new Promise(resolve => setTimeout(resolve, 50));
			}
		}
		assert.fail(`the screen did not react to ${JSON.stringify(keys)}; last frame:\n${frame()}`);
	};
	// Types text, waits until the input shows it (masked or not), then submits.
	const type = async (text: string, shown: string) => {
		const echo = new RegExp(`${shown.replace(/[*.]/g, c => `\\${c}`)}\\s*$`, 'm');
		for (let attempt = 0; attempt < 20 && !echo.test(frame()); attempt++) {
			app.stdin.write(text);
			const deadline = Date.now() + 1000;
			while (Date.now() < deadline && !echo.test(frame())) await new Promise(resolve => setTimeout(resolve, 50));
		}
		await waitFor(echo, 5_000);
		await press(ENTER, echo);
	};
	return {app, services, frame, waitFor, press, type, exited: () => exited, choice: () => choice};
}

const infoFor = (wallet: WalletRef, over: Partial<SetupInfo>): SetupInfo => ({
	wallet: wallet.name,
	hotkey: wallet.hotkey,
	walletPath: wallet.path,
	netuid: NETUID,
	hasColdkey: false,
	hasHotkey: false,
	coldkeyAddress: null,
	hotkeyAddress: null,
	network: null,
	...over,
});

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
const mode = (path: string) => statSync(path).mode & 0o777;

let first: {uid: number; coldkey: string; hotkey: string};

test('from no wallet: create, confirm a word, password, devnet, register, done with a uid on chain', async () => {
	const wallet: WalletRef = {path: dir, name: 'miner', hotkey: 'default'};
	const w = start(wallet, infoFor(wallet, {}));

	await w.waitFor(/No wallet found in .*miner/);
	assert.match(w.frame(), /Create a new wallet/);
	assert.match(w.frame(), /Import a wallet from its mnemonic/);
	// Select: arrows move the focus, Enter picks. Down to "Import", back up to "Create", Enter.
	await w.press(DOWN, /❯ Create a new wallet/);
	await w.press(UP, /❯ Import a wallet/);
	await w.press(ENTER, /No wallet found/);

	await w.waitFor(/Your coldkey mnemonic/);
	const words = new Map<number, string>();
	for (const m of w.frame().matchAll(/(\d{1,2})\. ([a-z]+)/g)) words.set(Number(m[1]), m[2]!);
	assert.equal(words.size, 12, `12 numbered words on screen:\n${w.frame()}`);
	const mnemonic = [...Array(12).keys()].map(i => words.get(i + 1)!).join(' ');
	await w.press(ENTER, /Your coldkey mnemonic/);

	const asked = await w.waitFor(/type word #(\d+) of your mnemonic/);
	const n = Number(asked[1]);
	const right = words.get(n)!;
	const wrong = right === 'zoo' ? 'zone' : 'zoo';
	await w.type(wrong, wrong);
	await w.waitFor(new RegExp(`That is not word #${n}`));
	await w.type(right, right);

	await w.waitFor(/Choose a password to encrypt the coldkey/);
	await w.type('abc', '***');
	await w.waitFor(/at least 6 characters/);
	await w.type(PASSWORD, '*'.repeat(PASSWORD.length));
	await w.waitFor(/Type the password again/);
	await w.type(`${PASSWORD}x`, '*'.repeat(PASSWORD.length + 1));
	await w.waitFor(/the passwords did not match/);
	await w.type(PASSWORD, '*'.repeat(PASSWORD.length));
	await w.waitFor(/Type the password again/);
	await w.type(PASSWORD, '*'.repeat(PASSWORD.length));

	// Argon2i runs here; then the network question.
	await w.waitFor(/Which network\?/);
	assert.match(w.frame(), /devnet/);
	await w.press(ENTER, /Which network\?/); // devnet is the first option and has the focus

	// The devnet faucet funds the new coldkey, then the balance and burn cost are shown.
	await w.waitFor(/Register the hotkey now\?/);
	const confirm = w.frame();
	assert.match(confirm, /\[local devnet\]/);
	assert.ok(confirm.includes(devchain.url), confirm);
	assert.match(confirm, /Burn cost τ0\.001 \(recycled to register on subnet 9\) · flat since block \d+/);
	// The registration window, read from the chain: counters vs limits, the reset, the subnet's size and immunity.
	assert.match(confirm, /Window {4}interval \d+\/\d+ target \(refused at \d+\) · this block \d+\/\d+ max · resets in \d+ blocks/);
	assert.match(confirm, /Subnet {4}\d+\/\d+ uids · immunity \d+ blocks/);
	assert.match(confirm, /a waits, then registers when the burn is at or under a cap/);
	assert.doesNotMatch(confirm, /does not cover the burn/);
	assert.doesNotMatch(confirm, /closed right now/);
	await w.press('y', /Register the hotkey now\?/);

	const done = await w.waitFor(/registered on subnet 9: uid (\d+)/);
	const uid = Number(done[1]);
	assert.doesNotMatch(w.frame(), /already registered/);
	assert.match(w.frame(), /iota-tui status --network devnet/);

	// The wallet on disk: btcli layout, encrypted coldkey, modes 0600 / 0700.
	const walletDir = join(dir, 'miner');
	const coldkey = readFileSync(join(walletDir, 'coldkey'));
	assert.equal(coldkey.subarray(0, 5).toString('latin1'), '$NACL');
	assert.doesNotThrow(() => JSON.parse(readFileSync(join(walletDir, 'coldkeypub.txt'), 'utf8')));
	const coldPub = json(join(walletDir, 'coldkeypub.txt'));
	const hot = json(join(walletDir, 'hotkeys', 'default'));
	const hotPub = json(join(walletDir, 'hotkeys', 'defaultpub.txt'));
	for (const f of ['coldkey', 'coldkeypub.txt', 'hotkeys/default', 'hotkeys/defaultpub.txt']) assert.equal(mode(join(walletDir, f)), 0o600, f);
	for (const d of ['', 'hotkeys']) assert.equal(mode(join(walletDir, d)), 0o700, `folder ${d || walletDir}`);
	assert.equal(hot.ss58Address, hotPub.ss58Address);
	assert.ok(!readFileSync(join(walletDir, 'coldkey')).includes(Buffer.from('secretPhrase')), 'the coldkey is not stored in clear');
	// The mnemonic shown on screen is the one the coldkey was made from.
	assert.equal(coldPub.ss58Address, keyDataFromMnemonic(mnemonic).ss58Address);
	assert.ok(w.frame().includes(hot.ss58Address!), 'the done screen names the hotkey');

	// The chain agrees: the hotkey holds that uid on subnet 9, owned by the coldkey.
	assert.equal(await chain.getUid(NETUID, hot.ss58Address!), uid);
	const neuron = await chain.neuron(NETUID, hot.ss58Address!);
	assert.equal(neuron.registered, true);
	assert.equal(neuron.coldkey, coldPub.ss58Address);
	assert.deepEqual(saved, ['devnet'], 'the chosen network is saved for the next run');

	for (let i = 0; i < 20 && !w.exited(); i++) {
		await w.press(ENTER);
		await new Promise(resolve => setTimeout(resolve, 200));
	}
	const exited = w.exited() as SetupState | null;
	// No doctor in these services: the check list is empty, so mining starts at once.
	assert.equal(exited?.step.kind, 'doctor', 'Enter on the done screen runs the checks, then exits to mine');
	assert.equal(w.choice(), 'mine');
	assert.equal(exited?.mnemonic, null, 'the mnemonic is not held once written');
	first = {uid, coldkey: coldPub.ss58Address!, hotkey: hot.ss58Address!};
});

test('run again with the wallet present and the network known: straight to "already registered"', async () => {
	assert.ok(first, 'needs the first test');
	const wallet: WalletRef = {path: dir, name: 'miner', hotkey: 'default'};
	const w = start(wallet, infoFor(wallet, {hasColdkey: true, hasHotkey: true, coldkeyAddress: first.coldkey, hotkeyAddress: first.hotkey, network: 'devnet'}));
	const done = await w.waitFor(/Hotkey is already registered on subnet 9: uid (\d+)/);
	assert.equal(Number(done[1]), first.uid);
	assert.doesNotMatch(w.frame(), /No wallet found|Which network|password/i);
	// Nothing was asked: no frame ever showed a wallet, network or password prompt.
	const seen = w.app.frames.map(f => stripVTControlCharacters(f)).join('\n');
	assert.doesNotMatch(seen, /No wallet found|Which network\?|Register the hotkey now\?|password/i);
});

test('coldkey present, new hotkey: hotkey created, wrong password sends back to the prompt, right one registers', async () => {
	assert.ok(first, 'needs the first test');
	const wallet: WalletRef = {path: dir, name: 'miner', hotkey: 'second'};
	const w = start(wallet, infoFor(wallet, {hasColdkey: true, coldkeyAddress: first.coldkey, network: 'devnet'}));

	await w.waitFor(/Register the hotkey now\?/);
	const hot = json(join(dir, 'miner', 'hotkeys', 'second'));
	assert.notEqual(hot.ss58Address, first.hotkey);
	assert.ok(w.frame().includes(hot.ss58Address!), 'the new hotkey is shown');
	assert.ok(w.frame().includes(first.coldkey), 'the existing coldkey is reused');
	// Pressing Enter takes the default (Y).
	await w.press(ENTER, /Register the hotkey now\?/);

	await w.waitFor(/Coldkey password \(to sign the registration\)/);
	await w.type('not-the-password', '*'.repeat('not-the-password'.length));
	// The real decryption fails (Argon2i + secretbox): back to the same prompt with the reason.
	await w.waitFor(/wrong password for this coldkey/);
	assert.match(w.frame(), /Coldkey password/);
	assert.equal(await chain.getUid(NETUID, hot.ss58Address!), null, 'nothing registered yet');

	await w.type(PASSWORD, '*'.repeat(PASSWORD.length));
	const done = await w.waitFor(/Hotkey registered on subnet 9: uid (\d+)/);
	const uid = Number(done[1]);
	assert.notEqual(uid, first.uid);
	assert.equal(await chain.getUid(NETUID, hot.ss58Address!), uid);
	assert.equal(await chain.getUid(NETUID, first.hotkey), first.uid, 'the first hotkey keeps its uid');
});

const check = (name: string, ok: boolean, blocking: boolean, detail: string, fix: string | null = null): Check => ({name, ok, detail, fix, blocking});

test('before mining: the doctor checks, one line each; a blocking failure holds with its fix, r checks again, Enter then mines', async () => {
	const runs: string[] = [];
	const doctor = (network: string): Check[] => {
		runs.push(network);
		const chainOk = runs.length > 1;
		return [
			check('node_version', true, true, 'v24.1.0'),
			check('chain', chainOk, true, chainOk ? 'reachable' : 'no answer in 4 s', 'start the devnet: iota-tui devnet'),
			check('iroh', false, false, 'no relay reachable', 'open UDP 7842'),
		];
	};
	const services: SetupServices = {
		newMnemonic: () => '',
		validMnemonic: () => true,
		run: async effect => effect.kind === 'doctor'
			? {type: 'doctor-result', checks: doctor(effect.network)}
			: {type: 'chain-info', chain: {url: 'ws://127.0.0.1:9944', devnet: true, balance: 1n, burn: 1n, uid: 3, open: true}},
		watchWindow: () => () => undefined,
		close: async () => undefined,
	};
	const wallet: WalletRef = {path: dir, name: 'fake', hotkey: 'default'};
	const w = drive(services, infoFor(wallet, {hasColdkey: true, hasHotkey: true, coldkeyAddress: 'COLD', hotkeyAddress: 'HOT', network: 'devnet'}));
	await w.waitFor(/already registered on subnet 9/);
	await w.press(ENTER, /already registered on subnet 9/);
	const blocked = await w.waitFor(/mining cannot start/);
	assert.ok(blocked);
	const f = w.frame();
	assert.match(f, /Before mining \(iota-tui doctor\):/);
	assert.match(f, /✓ node_version {2}v24\.1\.0/);
	assert.match(f, /✗ chain {9}no answer in 4 s\n\s+fix: start the devnet: iota-tui devnet/);
	assert.match(f, /✗ iroh {10}no relay reachable\n\s+fix: open UDP 7842/);
	assert.match(f, /✗ 1 blocking check\(s\) failed \(chain\): mining cannot start\. Press r to check again, q to quit\./);
	await w.press(ENTER);
	await new Promise(resolve => setTimeout(resolve, 300));
	assert.equal(w.exited(), null, 'Enter does not start mining past a blocking failure');

	await w.press('r', /mining cannot start/);
	await w.waitFor(/Ready to mine; 1 warning\(s\) above\. Press Enter to start mining, q to quit\./);
	assert.deepEqual(runs, ['devnet', 'devnet']);
	for (let i = 0; i < 20 && !w.exited(); i++) {
		await w.press(ENTER);
		await new Promise(resolve => setTimeout(resolve, 100));
	}
	assert.equal(w.choice(), 'mine');

	// Every check passed: the result stays a moment, then mining starts without a key.
	const passing = {...services, run: async (effect: Parameters<SetupServices['run']>[0]) => (effect.kind === 'doctor'
		? {type: 'doctor-result', checks: [check('node_version', true, true, 'v24.1.0')]} as SetupEvent
		: services.run(effect))};
	const p = drive(passing, infoFor(wallet, {hasColdkey: true, hasHotkey: true, coldkeyAddress: 'COLD', hotkeyAddress: 'HOT', network: 'devnet'}));
	await p.waitFor(/already registered on subnet 9/);
	await p.press(ENTER, /already registered on subnet 9/);
	await p.waitFor(/All checks passed: starting the miner… \(q quits\)/);
	assert.equal(p.exited(), null, 'shown before mining starts');
	for (let i = 0; i < 60 && !p.exited(); i++) await new Promise(resolve => setTimeout(resolve, 100));
	assert.equal(p.choice(), 'mine');
});

test('auto-registration on the chain: a bad cap refused, a cap under the burn waits (wish saved, no password), c drops it; a cap over it registers', async () => {
	assert.ok(first, 'needs the first test');
	const wallet: WalletRef = {path: dir, name: 'miner', hotkey: 'auto'};
	const w = start(wallet, infoFor(wallet, {hasColdkey: true, coldkeyAddress: first.coldkey, network: 'devnet'}));
	await w.waitFor(/Register the hotkey now\?/);
	const hot = json(join(dir, 'miner', 'hotkeys', 'auto'));
	await w.press('a', /Register the hotkey now\?/);
	await w.waitFor(/Most TAO to burn \(the burn is τ0\.001 now\):/);
	await w.type('lots', 'lots');
	await w.waitFor(/not an amount of TAO: "lots" \(type e\.g\. 0\.5\)/);
	await w.type('-1', '-1');
	await w.waitFor(/the cap cannot be below zero/);
	await w.type('0.0005', '0.0005');
	await w.waitFor(/Coldkey password \(to sign the registration\)/);
	await w.type(PASSWORD, '*'.repeat(PASSWORD.length));

	await w.waitFor(/Waiting: burn τ0\.001 above your cap τ0\.0005 \(block \d+\)/);
	assert.match(w.frame(), /Registering automatically on subnet 9 once the window is open and the burn is at most τ0\.0005/);
	assert.match(w.frame(), /Window {4}interval/);
	const wish = readFileSync(wishFile(configDir()), 'utf8');
	assert.ok(!wish.includes(PASSWORD), 'the password is never written');
	assert.equal(mode(wishFile(configDir())), 0o600);
	assert.deepEqual({...JSON.parse(wish), created_at: 'x'}, {network: devchain.url, netuid: 9, wallet: 'miner', hotkey: 'auto', max_burn_rao: '500000', created_at: 'x'});
	assert.equal(await chain.getUid(NETUID, hot.ss58Address!), null, 'nothing registered above the cap');

	await w.press('c', /Waiting: burn/);
	await w.waitFor(/Register the hotkey now\?/);
	assert.ok(!existsSync(wishFile(configDir())), 'c drops the wish');

	// The password is still in memory: a new cap over the burn registers at once, and the wish is gone.
	await w.press('a', /Register the hotkey now\?/);
	await w.type('0.002', '0.002');
	const done = await w.waitFor(/Hotkey registered on subnet 9: uid (\d+) \(burned τ0\.001\)/);
	assert.equal(await chain.getUid(NETUID, hot.ss58Address!), Number(done[1]));
	assert.ok(!existsSync(wishFile(configDir())), 'the wish is removed once registered');
});

const windowAt = (over: Partial<RegistrationWindow>): RegistrationWindow => ({
	netuid: 9, block: 120, registrationAllowed: true, registrationsThisInterval: 1, targetPerInterval: 2, registrationsThisBlock: 0,
	maxPerBlock: 1, burn: 1_000_000n, minBurn: 1n, maxBurn: 10n ** 11n, adjustmentInterval: 100, lastAdjustmentBlock: 100, blocksUntilReset: 80,
	subnetN: 256, maxUids: 256, full: true, immunityPeriod: 5000, ...over,
});

test('the window is read again while the question is shown: the burn trend, a closed interval, a full subnet, a saved wish', async () => {
	const watch: {emit?: (e: SetupEvent) => void} = {};
	let stopped = 0;
	const services: SetupServices = {
		newMnemonic: () => '',
		validMnemonic: () => true,
		run: async () => ({type: 'chain-info', chain: {
			url: 'ws://chain.example:9944', devnet: false, balance: 5_000_000_000n, burn: 1_000_000n, uid: null, open: true,
			window: windowAt({}), wish: {capRao: 2_000_000n, createdAt: '2026-12-07T08:00:00.000Z'},
		}}),
		watchWindow: (_network, emit) => {
			watch.emit = emit;
			return () => void stopped++;
		},
		close: async () => undefined,
	};
	const wallet: WalletRef = {path: dir, name: 'fake', hotkey: 'default'};
	const w = drive(services, infoFor(wallet, {hasColdkey: true, hasHotkey: true, coldkeyAddress: 'COLD', hotkeyAddress: 'HOT', network: 'test'}));
	await w.waitFor(/Register the hotkey now\?/);
	assert.match(w.frame(), /Burn cost τ0\.001 \(recycled to register on subnet 9\) · flat since block 120/);
	assert.match(w.frame(), /Subnet {4}256\/256 full: a new uid replaces the lowest-scored non-immune one · immunity 5000 blocks/);
	assert.match(w.frame(), /Saved wish \(2026-12-07T08:00\): register when the burn is at most τ0\.002; a resumes it\./);
	// The watch starts in an effect, after the frame: give it a moment (bounded).
	for (let i = 0; i < 100 && !watch.emit; i++) await new Promise(resolve => setTimeout(resolve, 20));
	assert.ok(watch.emit, 'the wizard asked the services to watch the window');
	watch.emit({type: 'window', window: windowAt({block: 125, burn: 1_500_000n, registrationsThisInterval: 6, blocksUntilReset: 75})});
	await w.waitFor(/· up from τ0\.001 at block 120/);
	assert.match(w.frame(), /Burn cost τ0\.0015/);
	assert.match(w.frame(), /Window {4}interval 6\/2 target \(refused at 6\) · this block 0\/1 max · resets in 75 blocks/);
	assert.match(w.frame(), /Registration on subnet 9 is closed right now: interval at 3x target \(6\/6\)\./);
	// Every line fits the 100-column tmux window the wizard runs in.
	for (const line of w.frame().split('\n')) assert.ok(line.length <= 100, `too wide (${line.length}): ${line}`);
	w.app.unmount();
	assert.equal(stopped, 1, 'the watch stops with the screen');
});
