// The first-run setup reducer and nextEffect: every transition and failure path, as pure functions.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
	MIN_PASSWORD,
	confirmWordIndex,
	doctorBlocks,
	initialSetup,
	nextEffect,
	parseCap,
	setupReducer,
	type ChainInfo,
	type SetupEvent,
	type SetupInfo,
	type SetupState,
	type Step,
} from '../../source/setup/state.js';
import {burnTrendText, subnetLine, windowLine} from '../../source/setup/window-text.js';
import {keyAction} from '../../source/setup/keys.js';
import type {RegistrationWindow} from '../../source/chain/registration-window.js';
import type {Check} from '../../source/doctor/types.js';

const MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
const COLD = '5ColdkeyAddressForTheTestsxxxxxxxxxxxxxxxxxxxxxx';
const HOT = '5HotkeyAddressForTheTestsxxxxxxxxxxxxxxxxxxxxxxx';
// The message loadColdkeyPair throws (source/wallet/keyfile.ts) for a wrong password.
const WRONG_PASSWORD = 'wrong password for this coldkey (or the file is corrupt): try again, or import the wallet from its mnemonic';

const info = (over: Partial<SetupInfo> = {}): SetupInfo => ({
	wallet: 'default',
	hotkey: 'default',
	walletPath: '/tmp/wallets',
	netuid: 9,
	hasColdkey: false,
	hasHotkey: false,
	coldkeyAddress: null,
	hotkeyAddress: null,
	network: null,
	...over,
});
const presentWallet = (network: string | null) =>
	info({hasColdkey: true, hasHotkey: true, coldkeyAddress: COLD, hotkeyAddress: HOT, network});
const chainInfo = (over: Partial<ChainInfo> = {}): ChainInfo => ({
	url: 'ws://127.0.0.1:9944',
	devnet: true,
	balance: 10_000_000_000n,
	burn: 1_000_000n,
	uid: null,
	open: true,
	...over,
});
const run = (state: SetupState, ...events: SetupEvent[]) => events.reduce(setupReducer, state);
const wordAt = (mnemonic: string, i: number) => mnemonic.split(' ')[i]!;

test('confirmWordIndex is stable for a mnemonic and within its words', () => {
	const i = confirmWordIndex(MNEMONIC);
	assert.equal(i, confirmWordIndex(MNEMONIC));
	assert.ok(Number.isInteger(i) && i >= 0 && i < 12);
	const long = `${MNEMONIC} ${MNEMONIC}`;
	const j = confirmWordIndex(long);
	assert.ok(j >= 0 && j < 24);
});

test('new wallet: create, note the mnemonic, confirm a word, choose a password, write the wallet', () => {
	let s = initialSetup(info());
	assert.deepEqual(s.step, {kind: 'choose-wallet'});
	assert.equal(nextEffect(s), null);

	s = setupReducer(s, {type: 'choose-create', mnemonic: MNEMONIC});
	assert.deepEqual(s.step, {kind: 'show-mnemonic', mnemonic: MNEMONIC});
	assert.equal(s.mnemonic, MNEMONIC);
	assert.equal(nextEffect(s), null);

	// Events that belong to other steps are ignored here.
	assert.equal(setupReducer(s, {type: 'mnemonic-word', word: 'legal'}), s);
	assert.equal(setupReducer(s, {type: 'password', value: 'secret-password'}), s);
	assert.equal(setupReducer(s, {type: 'password-confirm', value: 'secret-password'}), s);

	s = setupReducer(s, {type: 'mnemonic-noted'});
	const index = confirmWordIndex(MNEMONIC);
	assert.deepEqual(s.step, {kind: 'confirm-mnemonic', mnemonic: MNEMONIC, wordIndex: index, wrong: false});
	assert.equal(setupReducer(s, {type: 'mnemonic-noted'}), s, 'noting again is a no-op');

	// A wrong word keeps the user on the confirmation, flagged.
	const wrongWord = wordAt(MNEMONIC, index) === 'wave' ? 'worth' : 'wave';
	s = setupReducer(s, {type: 'mnemonic-word', word: wrongWord});
	assert.deepEqual(s.step, {kind: 'confirm-mnemonic', mnemonic: MNEMONIC, wordIndex: index, wrong: true});

	// The right word (case and surrounding spaces do not matter) moves on to the new password.
	s = setupReducer(s, {type: 'mnemonic-word', word: `  ${wordAt(MNEMONIC, index).toUpperCase()} `});
	assert.deepEqual(s.step, {kind: 'password', purpose: 'new', error: null});
	assert.equal(s.password, null);

	// Too short a password.
	s = setupReducer(s, {type: 'password', value: 'x'.repeat(MIN_PASSWORD - 1)});
	assert.deepEqual(s.step, {kind: 'password', purpose: 'new', error: `at least ${MIN_PASSWORD} characters`});
	assert.equal(s.password, null);

	// A confirmation that does not match goes back to the first prompt with the reason.
	s = setupReducer(s, {type: 'password', value: 'first-password'});
	assert.deepEqual(s.step, {kind: 'password-confirm', first: 'first-password', error: null});
	assert.equal(s.password, null, 'not kept before it is confirmed');
	s = setupReducer(s, {type: 'password-confirm', value: 'other-password'});
	assert.equal(s.step.kind, 'password');
	assert.ok(s.step.kind === 'password' && s.step.purpose === 'new' && /did not match/.test(s.step.error ?? ''));
	assert.equal(s.password, null);

	// Exactly MIN_PASSWORD characters is enough.
	const good = 'y'.repeat(MIN_PASSWORD);
	s = run(s, {type: 'password', value: good}, {type: 'password-confirm', value: good});
	assert.equal(s.step.kind, 'working');
	assert.equal(s.password, good);
	assert.deepEqual(nextEffect(s), {kind: 'write-wallet', mnemonic: MNEMONIC, password: good});

	s = setupReducer(s, {type: 'wallet-written', coldkey: COLD, hotkey: HOT});
	assert.equal(s.mnemonic, null, 'the mnemonic is dropped once written');
	assert.equal(s.password, good, 'the password is kept to sign the registration without asking again');
	assert.equal(s.info.hasColdkey, true);
	assert.equal(s.info.hasHotkey, true);
	assert.equal(s.info.coldkeyAddress, COLD);
	assert.equal(s.info.hotkeyAddress, HOT);
	assert.deepEqual(s.step, {kind: 'choose-network'}, 'no network known yet');
	assert.equal(nextEffect(s), null);
});

test('new wallet then devnet: inspect, confirm, register with the password held since creation, done', () => {
	const good = 'correct horse';
	let s = run(
		initialSetup(info()),
		{type: 'choose-create', mnemonic: MNEMONIC},
		{type: 'mnemonic-noted'},
		{type: 'mnemonic-word', word: wordAt(MNEMONIC, confirmWordIndex(MNEMONIC))},
		{type: 'password', value: good},
		{type: 'password-confirm', value: good},
		{type: 'wallet-written', coldkey: COLD, hotkey: HOT},
	);
	s = setupReducer(s, {type: 'network', choice: 'devnet'});
	assert.equal(s.network, 'devnet');
	assert.equal(s.info.network, 'devnet');
	assert.equal(s.step.kind, 'working');
	assert.deepEqual(nextEffect(s), {kind: 'inspect', network: 'devnet'});

	const chain = chainInfo();
	s = setupReducer(s, {type: 'chain-info', chain});
	assert.deepEqual(s.step, {kind: 'confirm-register', chain});
	assert.equal(s.chain, chain);
	assert.equal(nextEffect(s), null, 'waits for the user to confirm');

	s = setupReducer(s, {type: 'register-confirmed'});
	assert.equal(s.step.kind, 'working', 'no password prompt: it is still in memory');
	assert.deepEqual(nextEffect(s), {kind: 'register', network: 'devnet', password: good});

	s = setupReducer(s, {type: 'registered', uid: 3, alreadyRegistered: false});
	assert.deepEqual(s.step, {kind: 'done', uid: 3, network: 'devnet', alreadyRegistered: false});
	assert.equal(nextEffect(s), null);
});

test('import: an invalid mnemonic is refused with a reason, a valid one leads to the new password', () => {
	let s = setupReducer(initialSetup(info()), {type: 'choose-import'});
	assert.deepEqual(s.step, {kind: 'enter-mnemonic', error: null});
	assert.equal(nextEffect(s), null);

	s = setupReducer(s, {type: 'mnemonic-entered', mnemonic: 'not a mnemonic', valid: false});
	assert.equal(s.step.kind, 'enter-mnemonic');
	assert.ok(s.step.kind === 'enter-mnemonic' && /not a valid mnemonic/.test(s.step.error ?? ''));
	assert.equal(s.mnemonic, null, 'an invalid mnemonic is not kept');

	s = setupReducer(s, {type: 'mnemonic-entered', mnemonic: MNEMONIC, valid: true});
	assert.deepEqual(s.step, {kind: 'password', purpose: 'new', error: null});
	assert.equal(s.mnemonic, MNEMONIC);

	s = run(s, {type: 'password', value: 'imported-pw'}, {type: 'password-confirm', value: 'imported-pw'});
	assert.deepEqual(nextEffect(s), {kind: 'write-wallet', mnemonic: MNEMONIC, password: 'imported-pw'});
});

test('existing coldkey without a hotkey: the hotkey is created first, then the flow goes on', () => {
	let s = initialSetup(info({hasColdkey: true, coldkeyAddress: COLD}));
	assert.equal(s.step.kind, 'working');
	assert.deepEqual(nextEffect(s), {kind: 'create-hotkey'});

	s = setupReducer(s, {type: 'wallet-written', coldkey: COLD, hotkey: HOT});
	assert.deepEqual(s.step, {kind: 'choose-network'});
	assert.equal(s.info.hotkeyAddress, HOT);

	// With a saved network it goes straight on to the chain.
	let t = initialSetup(info({hasColdkey: true, coldkeyAddress: COLD, network: 'test'}));
	assert.deepEqual(nextEffect(t), {kind: 'create-hotkey'});
	t = setupReducer(t, {type: 'wallet-written', coldkey: COLD, hotkey: HOT});
	assert.equal(t.step.kind, 'working');
	assert.deepEqual(nextEffect(t), {kind: 'inspect', network: 'test'});
});

test('existing wallet and saved network: skips straight to inspecting the chain', () => {
	const s = initialSetup(presentWallet('finney'));
	assert.equal(s.step.kind, 'working');
	assert.equal(s.network, 'finney');
	assert.deepEqual(nextEffect(s), {kind: 'inspect', network: 'finney'});

	// Without a saved network it asks for one first.
	const t = initialSetup(presentWallet(null));
	assert.deepEqual(t.step, {kind: 'choose-network'});
	assert.equal(nextEffect(t), null);
});

test('custom URL: a bad one is refused, a ws:// one is inspected', () => {
	let s = setupReducer(initialSetup(presentWallet(null)), {type: 'network', choice: 'custom'});
	assert.deepEqual(s.step, {kind: 'enter-url', error: null});
	assert.equal(s.network, null);

	for (const bad of ['http://example.com', 'example.com:9944', 'ws://', 'ws://has space', '']) {
		const r = setupReducer(s, {type: 'url', value: bad});
		assert.deepEqual(r.step, {kind: 'enter-url', error: 'a ws:// or wss:// URL'}, bad);
		assert.equal(r.network, null);
	}
	s = setupReducer(s, {type: 'url', value: 'ws://bad url'});
	assert.equal(s.step.kind, 'enter-url');

	s = setupReducer(s, {type: 'url', value: 'wss://chain.example.org:443'});
	assert.equal(s.network, 'wss://chain.example.org:443');
	assert.equal(s.info.network, 'wss://chain.example.org:443');
	assert.deepEqual(nextEffect(s), {kind: 'inspect', network: 'wss://chain.example.org:443'});
});

test('chain-info with a uid already set: done, marked already registered, nothing more to do', () => {
	let s = initialSetup(presentWallet('devnet'));
	s = setupReducer(s, {type: 'chain-info', chain: chainInfo({uid: 7})});
	assert.deepEqual(s.step, {kind: 'done', uid: 7, network: 'devnet', alreadyRegistered: true});
	assert.equal(nextEffect(s), null);

	// uid 0 is a real uid, not "unregistered".
	const z = setupReducer(initialSetup(presentWallet('devnet')), {type: 'chain-info', chain: chainInfo({uid: 0})});
	assert.deepEqual(z.step, {kind: 'done', uid: 0, network: 'devnet', alreadyRegistered: true});
});

test('existing wallet: confirm asks for the coldkey password, then registers', () => {
	let s = run(initialSetup(presentWallet('devnet')), {type: 'chain-info', chain: chainInfo()});
	assert.equal(s.step.kind, 'confirm-register');

	s = setupReducer(s, {type: 'register-confirmed'});
	assert.deepEqual(s.step, {kind: 'password', purpose: 'unlock', error: null});
	assert.equal(nextEffect(s), null);

	// Unlocking takes any password (no length rule: the file decides) and does not ask twice.
	s = setupReducer(s, {type: 'password', value: 'abc'});
	assert.equal(s.step.kind, 'working');
	assert.equal(s.password, 'abc');
	assert.deepEqual(nextEffect(s), {kind: 'register', network: 'devnet', password: 'abc'});

	s = setupReducer(s, {type: 'registered', uid: 12, alreadyRegistered: false});
	assert.deepEqual(s.step, {kind: 'done', uid: 12, network: 'devnet', alreadyRegistered: false});
});

test('a wrong password goes back to the unlock prompt with the error and forgets the password', () => {
	let s = run(
		initialSetup(presentWallet('devnet')),
		{type: 'chain-info', chain: chainInfo()},
		{type: 'register-confirmed'},
		{type: 'password', value: 'not-it'},
	);
	assert.deepEqual(nextEffect(s), {kind: 'register', network: 'devnet', password: 'not-it'});

	s = setupReducer(s, {type: 'failed', message: WRONG_PASSWORD});
	assert.deepEqual(s.step, {kind: 'password', purpose: 'unlock', error: WRONG_PASSWORD});
	assert.equal(s.password, null);
	assert.equal(nextEffect(s), null);

	s = setupReducer(s, {type: 'password', value: 'the-right-one'});
	assert.deepEqual(nextEffect(s), {kind: 'register', network: 'devnet', password: 'the-right-one'});
	s = setupReducer(s, {type: 'registered', uid: 1, alreadyRegistered: true});
	assert.deepEqual(s.step, {kind: 'done', uid: 1, network: 'devnet', alreadyRegistered: true});
});

test('a failed registration offers a retry back to the confirmation', () => {
	const chain = chainInfo();
	let s = run(initialSetup(presentWallet('devnet')), {type: 'chain-info', chain}, {type: 'register-confirmed'}, {type: 'password', value: 'pw'});
	s = setupReducer(s, {type: 'failed', message: 'balance too low to pay the burn'});
	assert.deepEqual(s.step, {kind: 'failed', message: 'balance too low to pay the burn', retry: {kind: 'confirm-register', chain}});
	assert.equal(nextEffect(s), null);

	s = setupReducer(s, {type: 'retry'});
	assert.deepEqual(s.step, {kind: 'confirm-register', chain});
	// The password typed before is still held: confirming again registers without a prompt.
	s = setupReducer(s, {type: 'register-confirmed'});
	assert.deepEqual(nextEffect(s), {kind: 'register', network: 'devnet', password: 'pw'});
});

test('a failure before the chain was read retries the connection', () => {
	let s = initialSetup(presentWallet('devnet'));
	s = setupReducer(s, {type: 'failed', message: 'cannot reach the chain at ws://127.0.0.1:9944'});
	assert.equal(s.step.kind, 'failed');
	assert.ok(s.step.kind === 'failed' && s.step.retry?.kind === 'working');

	s = setupReducer(s, {type: 'retry'});
	assert.equal(s.step.kind, 'working');
	assert.deepEqual(nextEffect(s), {kind: 'inspect', network: 'devnet'});

	// A failed wallet write retries the write with what is still in memory.
	let w = run(
		initialSetup(info({network: 'devnet'})),
		{type: 'choose-import'},
		{type: 'mnemonic-entered', mnemonic: MNEMONIC, valid: true},
		{type: 'password', value: 'pw-pw-pw'},
		{type: 'password-confirm', value: 'pw-pw-pw'},
		{type: 'failed', message: 'EACCES: permission denied'},
	);
	assert.equal(w.step.kind, 'failed');
	w = setupReducer(w, {type: 'retry'});
	assert.deepEqual(nextEffect(w), {kind: 'write-wallet', mnemonic: MNEMONIC, password: 'pw-pw-pw'});
});

test('a failure marked not retryable ends the flow; retry is then ignored', () => {
	let s = initialSetup(presentWallet('devnet'));
	s = setupReducer(s, {type: 'failed', message: 'subnet 9 does not exist', retry: false});
	assert.deepEqual(s.step, {kind: 'failed', message: 'subnet 9 does not exist', retry: null});
	assert.equal(setupReducer(s, {type: 'retry'}), s);
	// 'retry' outside a failure is ignored too.
	const fresh = initialSetup(info());
	assert.equal(setupReducer(fresh, {type: 'retry'}), fresh);
});

test('declining the registration ends the flow with the command to run later', () => {
	let s = run(initialSetup(presentWallet('devnet')), {type: 'chain-info', chain: chainInfo()});
	s = setupReducer(s, {type: 'register-declined'});
	assert.equal(s.step.kind, 'failed');
	assert.ok(s.step.kind === 'failed' && s.step.retry === null && /iota-tui register/.test(s.step.message));
	assert.equal(nextEffect(s), null);
	assert.equal(setupReducer(s, {type: 'retry'}), s);
});

const windowAt = (over: Partial<RegistrationWindow> = {}): RegistrationWindow => ({
	netuid: 9, block: 120, registrationAllowed: true, registrationsThisInterval: 1, targetPerInterval: 2, registrationsThisBlock: 0,
	maxPerBlock: 1, burn: 1_000_000n, minBurn: 1n, maxBurn: 10n ** 11n, adjustmentInterval: 100, lastAdjustmentBlock: 100, blocksUntilReset: 80,
	subnetN: 3, maxUids: 256, full: false, immunityPeriod: 5000, ...over,
});
/** An existing wallet on the devnet, at the registration question with a first window read at block 120. */
const atQuestion = (password: string | null, over: Partial<ChainInfo> = {}) => {
	let s = initialSetup(presentWallet('devnet'));
	if (password) s = {...s, password};
	return setupReducer(s, {type: 'chain-info', chain: chainInfo({window: windowAt(), ...over})});
};

test('parseCap takes TAO as typed and refuses bad input with one line', () => {
	assert.deepEqual(parseCap('0.5'), {rao: 500_000_000n});
	assert.deepEqual(parseCap(' τ0.002 '), {rao: 2_000_000n});
	assert.deepEqual(parseCap('.25'), {rao: 250_000_000n});
	assert.deepEqual(parseCap('3'), {rao: 3_000_000_000n});
	assert.deepEqual(parseCap('0'), {rao: 0n});
	assert.deepEqual(parseCap('1.000000001'), {rao: 1_000_000_001n});
	assert.deepEqual(parseCap('abc'), {error: 'not an amount of TAO: "abc" (type e.g. 0.5)'});
	assert.deepEqual(parseCap(''), {error: 'not an amount of TAO: "" (type e.g. 0.5)'});
	assert.deepEqual(parseCap('1e3'), {error: 'not an amount of TAO: "1e3" (type e.g. 0.5)'});
	assert.deepEqual(parseCap('-1'), {error: 'the cap cannot be below zero'});
	assert.deepEqual(parseCap('-0.5'), {error: 'the cap cannot be below zero'});
	assert.match((parseCap('0.0000000001') as {error: string}).error, /at most 9 decimals/);
});

test('the window: the first read is the burn baseline, later reads replace the window but keep it', () => {
	let s = atQuestion(null);
	assert.equal(s.step.kind, 'confirm-register');
	assert.deepEqual(s.window, windowAt());
	assert.deepEqual(s.firstBurn, {burn: 1_000_000n, block: 120});
	s = setupReducer(s, {type: 'window', window: windowAt({block: 125, burn: 1_200_000n, registrationsThisInterval: 2})});
	assert.equal(s.window?.block, 125);
	assert.deepEqual(s.firstBurn, {burn: 1_000_000n, block: 120}, 'the baseline stays the first read');
	assert.equal(nextEffect(s), null, 'a new window asks nothing of the services');
	// A first read without a burn leaves no baseline; the next one with a burn sets it.
	let t = setupReducer(initialSetup(presentWallet('devnet')), {type: 'window', window: windowAt({burn: null})});
	assert.equal(t.firstBurn, null);
	t = setupReducer(t, {type: 'window', window: windowAt({block: 130})});
	assert.deepEqual(t.firstBurn, {burn: 1_000_000n, block: 130});
});

test('window text: counters vs limits, the burn trend against the first read, subnet size and immunity', () => {
	assert.equal(windowLine(windowAt()), 'interval 1/2 target (refused at 6) · this block 0/1 max · resets in 80 blocks');
	assert.equal(windowLine(windowAt({targetPerInterval: null, blocksUntilReset: null, maxPerBlock: null})), 'interval 1/- target · this block 0/- max · reset unknown');
	assert.equal(burnTrendText(1_000_000n, {burn: 1_000_000n, block: 120}), 'flat since block 120');
	assert.equal(burnTrendText(1_200_000n, {burn: 1_000_000n, block: 120}), 'up from τ0.001 at block 120');
	assert.equal(burnTrendText(900_000n, {burn: 1_000_000n, block: 120}), 'down from τ0.001 at block 120');
	assert.equal(burnTrendText(null, {burn: 1n, block: 1}), '');
	assert.equal(subnetLine(windowAt()), '3/256 uids · immunity 5000 blocks');
	assert.match(subnetLine(windowAt({subnetN: 256, full: true})), /^256\/256 full: a new uid replaces the lowest-scored non-immune one · immunity 5000 blocks$/);
});

test('auto-registration: a, a bad cap refused, a good one waits with the password in memory, then registers under it', () => {
	let s = atQuestion('held-password');
	s = setupReducer(s, {type: 'register-auto'});
	assert.deepEqual(s.step, {kind: 'enter-cap', error: null});
	assert.equal(nextEffect(s), null);
	s = setupReducer(s, {type: 'cap', value: 'lots'});
	assert.deepEqual(s.step, {kind: 'enter-cap', error: 'not an amount of TAO: "lots" (type e.g. 0.5)'});
	s = setupReducer(s, {type: 'cap', value: '-2'});
	assert.deepEqual(s.step, {kind: 'enter-cap', error: 'the cap cannot be below zero'});
	assert.equal(s.cap, null);
	s = setupReducer(s, {type: 'cap', value: '0.002'});
	assert.deepEqual(s.step, {kind: 'auto-register', cap: 2_000_000n});
	assert.equal(s.cap, 2_000_000n);
	assert.deepEqual(nextEffect(s), {kind: 'auto-register', network: 'devnet', password: 'held-password', cap: 2_000_000n});

	// Waiting updates what is shown but not the step: the running effect is not restarted.
	const step = s.step;
	s = run(s, {type: 'auto-waiting', why: 'burn τ0.003 above your cap τ0.002', block: 130}, {type: 'window', window: windowAt({block: 130, burn: 3_000_000n})});
	assert.equal(s.step, step, 'same step object');
	assert.deepEqual(s.waiting, {why: 'burn τ0.003 above your cap τ0.002', block: 130});
	assert.equal(s.window?.burn, 3_000_000n);

	s = setupReducer(s, {type: 'registered', uid: 4, alreadyRegistered: false, burnPaid: 2_000_000n});
	assert.deepEqual(s.step, {kind: 'done', uid: 4, network: 'devnet', alreadyRegistered: false, burnPaid: 2_000_000n});
	assert.equal(s.waiting, null);
});

test('auto-registration without the password in memory asks for it once; a wrong one asks again and keeps the cap', () => {
	let s = run(atQuestion(null), {type: 'register-auto'}, {type: 'cap', value: '1'});
	assert.deepEqual(s.step, {kind: 'password', purpose: 'unlock', error: null});
	assert.equal(nextEffect(s), null);
	s = setupReducer(s, {type: 'password', value: 'wrong'});
	assert.deepEqual(s.step, {kind: 'auto-register', cap: 1_000_000_000n});
	assert.deepEqual(nextEffect(s), {kind: 'auto-register', network: 'devnet', password: 'wrong', cap: 1_000_000_000n});
	s = setupReducer(s, {type: 'failed', message: WRONG_PASSWORD});
	assert.deepEqual(s.step, {kind: 'password', purpose: 'unlock', error: WRONG_PASSWORD});
	assert.equal(s.password, null);
	s = setupReducer(s, {type: 'password', value: 'right'});
	assert.deepEqual(s.step, {kind: 'auto-register', cap: 1_000_000_000n});
	// Register now (y) after coming back from an automatic attempt forgets the cap.
	s = run(s, {type: 'failed', message: 'connection lost'}, {type: 'retry'}, {type: 'register-confirmed'});
	assert.equal(s.cap, null);
	assert.deepEqual(nextEffect(s), {kind: 'register', network: 'devnet', password: 'right'});
});

test('a saved wish for this target: a resumes it with its cap, no cap prompt', () => {
	let s = atQuestion('pw', {wish: {capRao: 5_000_000n, createdAt: '2026-12-07T09:00:00.000Z'}});
	s = setupReducer(s, {type: 'register-auto'});
	assert.deepEqual(s.step, {kind: 'auto-register', cap: 5_000_000n});
	assert.deepEqual(nextEffect(s), {kind: 'auto-register', network: 'devnet', password: 'pw', cap: 5_000_000n});
});

test('cancelling: Esc at the cap prompt goes back; c while waiting drops the wish, then back to the question', () => {
	let s = run(atQuestion('pw'), {type: 'register-auto'}, {type: 'auto-cancel'});
	assert.equal(s.step.kind, 'confirm-register');
	assert.equal(nextEffect(s), null, 'nothing was saved yet');
	s = run(s, {type: 'register-auto'}, {type: 'cap', value: '0.5'}, {type: 'auto-waiting', why: 'interval full (6/6), resets in 12 blocks', block: 140});
	s = setupReducer(s, {type: 'auto-cancel'});
	assert.deepEqual(s.step, {kind: 'cancel-auto'});
	assert.equal(s.cap, null);
	assert.equal(s.waiting, null);
	assert.deepEqual(nextEffect(s), {kind: 'drop-wish', network: 'devnet'});
	s = setupReducer({...s, chain: {...s.chain!, wish: {capRao: 1n, createdAt: 'x'}}}, {type: 'wish-dropped'});
	assert.equal(s.step.kind, 'confirm-register');
	assert.equal(s.chain?.wish, null);
	assert.ok(s.step.kind === 'confirm-register' && s.step.chain.wish === null);
});

test('events outside their step are ignored', () => {
	const s = atQuestion('pw');
	for (const e of [{type: 'cap', value: '1'}, {type: 'auto-waiting', why: 'x', block: 1}, {type: 'auto-cancel'}, {type: 'wish-dropped'}, {type: 'mine-chosen'}, {type: 'doctor-result', checks: []}] as SetupEvent[]) {
		assert.equal(setupReducer(s, e), s, e.type);
	}
	const done = setupReducer(s, {type: 'registered', uid: 1, alreadyRegistered: false});
	assert.equal(setupReducer(done, {type: 'register-auto'}), done);
	assert.equal(setupReducer(done, {type: 'register-confirmed'}), done);
});

const check = (name: string, ok: boolean, blocking = false): Check => ({name, ok, detail: ok ? 'fine' : 'broken', fix: ok ? null : `fix ${name}`, blocking});

test('doctor before mining: Enter on done runs the checks; a blocking failure holds, retry runs them again', () => {
	let s = run(atQuestion('pw'), {type: 'registered', uid: 2, alreadyRegistered: false});
	s = setupReducer(s, {type: 'mine-chosen'});
	assert.deepEqual(s.step, {kind: 'doctor', checks: null});
	assert.deepEqual(nextEffect(s), {kind: 'doctor', network: 'devnet'});
	const blocked = [check('node_version', true, true), check('chain', false, true), check('iroh', false)];
	s = setupReducer(s, {type: 'doctor-result', checks: blocked});
	assert.deepEqual(s.step, {kind: 'doctor', checks: blocked});
	assert.equal(nextEffect(s), null, 'the result waits for the user');
	assert.deepEqual(doctorBlocks(blocked).map(c => c.name), ['chain']);
	s = setupReducer(s, {type: 'retry'});
	assert.deepEqual(s.step, {kind: 'doctor', checks: null});
	assert.deepEqual(nextEffect(s), {kind: 'doctor', network: 'devnet'});
	const warned = [check('node_version', true, true), check('iroh', false)];
	s = setupReducer(s, {type: 'doctor-result', checks: warned});
	assert.deepEqual(doctorBlocks(warned), [], 'warnings do not block');
});

test('keys on the screens without an input field: Enter on done checks first, doctor r/Enter/q, c and q while waiting, Esc at the cap', () => {
	const done: Step = {kind: 'done', uid: 1, network: 'devnet', alreadyRegistered: false};
	assert.deepEqual(keyAction(done, '', true, false), {event: {type: 'mine-chosen'}});
	assert.deepEqual(keyAction(done, 'q', false, false), {leave: 'quit'});
	const blocked: Step = {kind: 'doctor', checks: [check('chain', false, true)]};
	assert.deepEqual(keyAction(blocked, 'r', false, false), {event: {type: 'retry'}});
	assert.equal(keyAction(blocked, '', true, false), null, 'Enter never mines past a blocking failure');
	assert.deepEqual(keyAction(blocked, 'q', false, false), {leave: 'quit'});
	const warned: Step = {kind: 'doctor', checks: [check('iroh', false)]};
	assert.deepEqual(keyAction(warned, '', true, false), {leave: 'mine'});
	assert.equal(keyAction(warned, 'r', false, false), null);
	assert.equal(keyAction({kind: 'doctor', checks: null}, '', true, false), null, 'nothing while the checks run');
	assert.deepEqual(keyAction({kind: 'auto-register', cap: 1n}, 'c', false, false), {event: {type: 'auto-cancel'}});
	assert.deepEqual(keyAction({kind: 'auto-register', cap: 1n}, 'q', false, false), {leave: 'quit'});
	assert.deepEqual(keyAction({kind: 'enter-cap', error: null}, '', false, true), {event: {type: 'auto-cancel'}});
	assert.equal(keyAction({kind: 'enter-cap', error: null}, 'c', false, false), null, 'letters belong to the cap field');
	assert.deepEqual(keyAction({kind: 'failed', message: 'x', retry: null}, '', true, false), {leave: 'quit'});
	assert.deepEqual(keyAction({kind: 'failed', message: 'x', retry: {kind: 'choose-network'}}, 'r', false, false), {event: {type: 'retry'}});
});
