// The first-run setup as a pure reducer: events from the user and from services in, one state out.
import type {RegistrationWindow} from '../chain/registration-window.js';
import type {Check} from '../doctor/types.js';
export type NetworkChoice = 'devnet' | 'test' | 'finney' | 'custom';

export type SetupInfo = {
	wallet: string;
	hotkey: string;
	walletPath: string;
	netuid: number;
	hasColdkey: boolean;
	hasHotkey: boolean;
	coldkeyAddress: string | null;
	hotkeyAddress: string | null;
	network: string | null; // already chosen (config), else asked
};

/** A saved `register --auto` wish for this wallet, hotkey, network and subnet (its cap), read when the chain is inspected. */
export type SavedWish = {capRao: bigint; createdAt: string};

export type ChainInfo = {
	url: string; devnet: boolean; balance: bigint; burn: bigint; uid: number | null; open: boolean;
	window?: RegistrationWindow | null;
	wish?: SavedWish | null;
};

export type Step =
	| {kind: 'choose-wallet'}
	| {kind: 'show-mnemonic'; mnemonic: string}
	| {kind: 'confirm-mnemonic'; mnemonic: string; wordIndex: number; wrong: boolean}
	| {kind: 'enter-mnemonic'; error: string | null}
	| {kind: 'password'; purpose: 'new' | 'unlock'; error: string | null}
	| {kind: 'password-confirm'; first: string; error: string | null}
	| {kind: 'working'; what: string}
	| {kind: 'choose-network'}
	| {kind: 'enter-url'; error: string | null}
	| {kind: 'confirm-register'; chain: ChainInfo}
	| {kind: 'enter-cap'; error: string | null}
	| {kind: 'auto-register'; cap: bigint}
	| {kind: 'cancel-auto'}
	| {kind: 'done'; uid: number; network: string; alreadyRegistered: boolean; burnPaid?: bigint | null}
	| {kind: 'doctor'; checks: Check[] | null}
	| {kind: 'failed'; message: string; retry: Step | null};

export type SetupState = {
	info: SetupInfo;
	step: Step;
	mnemonic: string | null; // the coldkey mnemonic being created or imported, held only in memory
	password: string | null;
	network: string | null;
	chain: ChainInfo | null;
	/** The latest registration window read, and the burn at the first read (the trend's baseline). */
	window: RegistrationWindow | null;
	firstBurn: {burn: bigint; block: number} | null;
	/** The burn cap of the automatic registration (rao), once chosen. */
	cap: bigint | null;
	/** What the automatic registration waits for, as decide() words it. */
	waiting: {why: string; block: number | null} | null;
};

export type SetupEvent =
	| {type: 'choose-create'; mnemonic: string}
	| {type: 'choose-import'}
	| {type: 'mnemonic-noted'}
	| {type: 'mnemonic-word'; word: string}
	| {type: 'mnemonic-entered'; mnemonic: string; valid: boolean}
	| {type: 'password'; value: string}
	| {type: 'password-confirm'; value: string}
	| {type: 'wallet-written'; coldkey: string; hotkey: string}
	| {type: 'network'; choice: NetworkChoice}
	| {type: 'url'; value: string}
	| {type: 'chain-info'; chain: ChainInfo}
	| {type: 'register-confirmed'}
	| {type: 'register-declined'}
	| {type: 'registered'; uid: number; alreadyRegistered: boolean; burnPaid?: bigint | null}
	| {type: 'window'; window: RegistrationWindow}
	| {type: 'register-auto'}
	| {type: 'cap'; value: string}
	| {type: 'auto-waiting'; why: string; block: number | null}
	| {type: 'auto-cancel'}
	| {type: 'wish-dropped'}
	| {type: 'mine-chosen'}
	| {type: 'doctor-result'; checks: Check[]}
	| {type: 'failed'; message: string; retry?: boolean}
	| {type: 'retry'};

export const MIN_PASSWORD = 6;

/** The cap typed in TAO ("0.5", "τ0.5") as rao, or a one-line reason it is refused. */
export function parseCap(text: string): {rao: bigint} | {error: string} {
	const value = text.trim().replace(/^τ/, '');
	if (value.startsWith('-') && Number.isFinite(Number(value))) return {error: 'the cap cannot be below zero'};
	const m = /^(\d*)(?:\.(\d*))?$/.exec(value);
	if (!m || (m[1] === '' && !m[2])) return {error: `not an amount of TAO: "${text.trim()}" (type e.g. 0.5)`};
	if ((m[2] ?? '').length > 9) return {error: 'at most 9 decimals (1 rao = 0.000000001 TAO)'};
	return {rao: BigInt(m[1] || '0') * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))};
}

// Which word the user must type back (1-based in the UI), fixed per mnemonic so re-renders agree.
export const confirmWordIndex = (mnemonic: string) => {
	const words = mnemonic.split(' ');
	let h = 0;
	for (const ch of mnemonic) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
	return h % words.length;
};

function afterWallet(state: SetupState): Step {
	if (!state.info.network) return {kind: 'choose-network'};
	return {kind: 'working', what: 'connecting to the chain'};
}

export function initialSetup(info: SetupInfo): SetupState {
	const base: SetupState = {
		info, step: {kind: 'choose-wallet'}, mnemonic: null, password: null, network: info.network, chain: null,
		window: null, firstBurn: null, cap: null, waiting: null,
	};
	if (!info.hasColdkey) return base;
	if (!info.hasHotkey) return {...base, step: {kind: 'working', what: 'creating the hotkey'}};
	return {...base, step: afterWallet(base)};
}

export function setupReducer(state: SetupState, event: SetupEvent): SetupState {
	const {step} = state;
	switch (event.type) {
		case 'choose-create':
			return {...state, mnemonic: event.mnemonic, step: {kind: 'show-mnemonic', mnemonic: event.mnemonic}};
		case 'choose-import':
			return {...state, step: {kind: 'enter-mnemonic', error: null}};
		case 'mnemonic-noted':
			if (step.kind !== 'show-mnemonic') return state;
			return {...state, step: {kind: 'confirm-mnemonic', mnemonic: step.mnemonic, wordIndex: confirmWordIndex(step.mnemonic), wrong: false}};
		case 'mnemonic-word': {
			if (step.kind !== 'confirm-mnemonic') return state;
			const expected = step.mnemonic.split(' ')[step.wordIndex];
			if (event.word.trim().toLowerCase() !== expected) return {...state, step: {...step, wrong: true}};
			return {...state, step: {kind: 'password', purpose: 'new', error: null}};
		}
		case 'mnemonic-entered':
			if (!event.valid) return {...state, step: {kind: 'enter-mnemonic', error: 'not a valid mnemonic: 12-24 English words with a valid checksum'}};
			return {...state, mnemonic: event.mnemonic, step: {kind: 'password', purpose: 'new', error: null}};
		case 'password':
			if (step.kind !== 'password') return state;
			if (step.purpose === 'unlock' && state.cap !== null) return {...state, password: event.value, step: {kind: 'auto-register', cap: state.cap}};
			if (step.purpose === 'unlock') return {...state, password: event.value, step: {kind: 'working', what: 'unlocking the coldkey and registering'}};
			if (event.value.length < MIN_PASSWORD) return {...state, step: {...step, error: `at least ${MIN_PASSWORD} characters`}};
			return {...state, step: {kind: 'password-confirm', first: event.value, error: null}};
		case 'password-confirm':
			if (step.kind !== 'password-confirm') return state;
			if (event.value !== step.first) return {...state, step: {kind: 'password', purpose: 'new', error: 'the passwords did not match: type it again'}};
			return {...state, password: step.first, step: {kind: 'working', what: 'encrypting the coldkey (this takes a few seconds)'}};
		case 'wallet-written':
			return {
				...state,
				mnemonic: null,
				info: {...state.info, hasColdkey: true, hasHotkey: true, coldkeyAddress: event.coldkey, hotkeyAddress: event.hotkey},
				step: afterWallet(state),
			};
		case 'network':
			if (event.choice === 'custom') return {...state, step: {kind: 'enter-url', error: null}};
			return {...state, network: event.choice, info: {...state.info, network: event.choice}, step: {kind: 'working', what: event.choice === 'devnet' ? 'connecting to the local devnet chain (starting it if needed)' : 'connecting to the chain'}};
		case 'url':
			if (!/^wss?:\/\/\S+$/.test(event.value)) return {...state, step: {kind: 'enter-url', error: 'a ws:// or wss:// URL'}};
			return {...state, network: event.value, info: {...state.info, network: event.value}, step: {kind: 'working', what: 'connecting to the chain'}};
		case 'chain-info': {
			const read = event.chain.window ? withWindow(state, event.chain.window) : state;
			if (event.chain.uid !== null) {
				return {...read, chain: event.chain, step: {kind: 'done', uid: event.chain.uid, network: state.network ?? '', alreadyRegistered: true}};
			}
			return {...read, chain: event.chain, step: {kind: 'confirm-register', chain: event.chain}};
		}
		case 'register-confirmed':
			if (step.kind !== 'confirm-register') return state;
			if (state.password) return {...state, cap: null, step: {kind: 'working', what: 'registering'}};
			return {...state, cap: null, step: {kind: 'password', purpose: 'unlock', error: null}};
		case 'register-declined':
			return {...state, step: {kind: 'failed', message: 'registration skipped: run `iota-tui register` when you are ready', retry: null}};
		case 'registered':
			return {
				...state, waiting: null,
				step: {kind: 'done', uid: event.uid, network: state.network ?? '', alreadyRegistered: event.alreadyRegistered, ...(event.burnPaid ? {burnPaid: event.burnPaid} : {})},
			};
		case 'failed': {
			// A wrong password sends the user back to the password prompt; other failures offer a retry.
			if (/wrong password/.test(event.message)) return {...state, password: null, step: {kind: 'password', purpose: 'unlock', error: event.message}};
			const retry = event.retry === false ? null : state.chain ? {kind: 'confirm-register', chain: state.chain} as Step : afterWallet(state);
			return {...state, step: {kind: 'failed', message: event.message, retry}};
		}
		case 'retry':
			if (step.kind === 'doctor' && step.checks) return {...state, step: {kind: 'doctor', checks: null}};
			if (step.kind !== 'failed' || !step.retry) return state;
			return {...state, step: step.retry};
		default:
			return laterEvents(state, event);
	}
}

/** Keeps the latest window; the first burn read stays as the trend's baseline. */
function withWindow(state: SetupState, w: RegistrationWindow): SetupState {
	const firstBurn = state.firstBurn ?? (w.burn === null ? null : {burn: w.burn, block: w.block});
	return {...state, window: w, firstBurn};
}

/** The automatic registration under a cap, and the doctor run before mining. */
function laterEvents(state: SetupState, event: SetupEvent): SetupState {
	const {step} = state;
	switch (event.type) {
		case 'window':
			return withWindow(state, event.window);
		case 'register-auto': {
			if (step.kind !== 'confirm-register') return state;
			const saved = state.chain?.wish;
			if (!saved) return {...state, step: {kind: 'enter-cap', error: null}};
			return startAuto(state, saved.capRao);
		}
		case 'cap': {
			if (step.kind !== 'enter-cap') return state;
			const parsed = parseCap(event.value);
			if ('error' in parsed) return {...state, step: {kind: 'enter-cap', error: parsed.error}};
			return startAuto(state, parsed.rao);
		}
		case 'auto-waiting':
			if (step.kind !== 'auto-register') return state;
			return {...state, waiting: {why: event.why, block: event.block}};
		case 'auto-cancel':
			// Nothing is saved before the cap is typed: back to the question. A running wait drops its wish first.
			if (step.kind === 'enter-cap' && state.chain) return {...state, step: {kind: 'confirm-register', chain: state.chain}};
			if (step.kind !== 'auto-register') return state;
			return {...state, cap: null, waiting: null, step: {kind: 'cancel-auto'}};
		case 'wish-dropped': {
			if (step.kind !== 'cancel-auto' || !state.chain) return state;
			const chain = {...state.chain, wish: null};
			return {...state, chain, step: {kind: 'confirm-register', chain}};
		}
		case 'mine-chosen':
			if (step.kind !== 'done') return state;
			return {...state, step: {kind: 'doctor', checks: null}};
		case 'doctor-result':
			if (step.kind !== 'doctor') return state;
			return {...state, step: {kind: 'doctor', checks: event.checks}};
		default:
			return state;
	}
}

/** With a cap chosen: wait and register under it, asking for the password first if it is not in memory. */
function startAuto(state: SetupState, cap: bigint): SetupState {
	if (!state.password) return {...state, cap, waiting: null, step: {kind: 'password', purpose: 'unlock', error: null}};
	return {...state, cap, waiting: null, step: {kind: 'auto-register', cap}};
}

/** Whether the doctor's result lets mining start: no failed blocking check. */
export const doctorBlocks = (checks: readonly Check[]) => checks.filter(c => !c.ok && c.blocking);

export type SetupEffect =
	| {kind: 'create-hotkey'}
	| {kind: 'write-wallet'; mnemonic: string; password: string}
	| {kind: 'inspect'; network: string}
	| {kind: 'register'; network: string; password: string}
	| {kind: 'auto-register'; network: string; password: string; cap: bigint}
	| {kind: 'drop-wish'; network: string}
	| {kind: 'doctor'; network: string};

// What the services must do for the current state (null: wait for the user).
export function nextEffect(state: SetupState): SetupEffect | null {
	const {step} = state;
	if (step.kind === 'auto-register') return state.password && state.network ? {kind: 'auto-register', network: state.network, password: state.password, cap: step.cap} : null;
	if (step.kind === 'cancel-auto') return state.network ? {kind: 'drop-wish', network: state.network} : null;
	if (step.kind === 'doctor') return step.checks === null && state.network ? {kind: 'doctor', network: state.network} : null;
	if (step.kind !== 'working') return null;
	if (!state.info.hasColdkey) return state.mnemonic && state.password ? {kind: 'write-wallet', mnemonic: state.mnemonic, password: state.password} : null;
	if (!state.info.hasHotkey) return {kind: 'create-hotkey'};
	if (!state.network) return null;
	if (!state.chain) return {kind: 'inspect', network: state.network};
	return state.password ? {kind: 'register', network: state.network, password: state.password} : null;
}
