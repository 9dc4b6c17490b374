// The first-run wizard, driven by keys through ink-testing-library against a REAL local Subtensor
// chain (chopsticks, subnet 9) started here, with real wallet files in a temp folder.
// Every unlock runs Argon2i with 512 MiB (4-7 s), so frames are awaited with a bounded poll.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {stripVTControlCharacters} from 'node:util';
import React from 'react';
import {render} from 'ink-testing-library';
import {Wizard} from '../../source/setup/Wizard.js';
import {makeSetupServices, type SetupServices} from '../../source/setup/services.js';
import type {SetupInfo, SetupState} from '../../source/setup/state.js';
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

function start(wallet: WalletRef, info: SetupInfo) {
	const services = makeSetupServices({wallet, netuid: NETUID, devnetUrl: devchain.url, saveNetwork: n => saved.push(n)});
	let exited: SetupState | null = null;
	const app = render(<Wizard info={info} services={services} onExit={s => (exited = s)} />);
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
	return {app, services, frame, waitFor, press, type, exited: () => exited};
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
	assert.match(confirm, /Burn cost/);
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
	assert.equal(exited?.step.kind, 'done', 'Enter on the done screen exits');
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
