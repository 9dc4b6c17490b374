// The first-run setup as a pure reducer: events from the user and from services in, one state out.
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

export type ChainInfo = {url: string; devnet: boolean; balance: bigint; burn: bigint; uid: number | null; open: boolean};

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
	| {kind: 'done'; uid: number; network: string; alreadyRegistered: boolean}
	| {kind: 'failed'; message: string; retry: Step | null};

export type SetupState = {
	info: SetupInfo;
	step: Step;
	mnemonic: string | null; // the coldkey mnemonic being created or imported, held only in memory
	password: string | null;
	network: string | null;
	chain: ChainInfo | null;
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
	| {type: 'registered'; uid: number; alreadyRegistered: boolean}
	| {type: 'failed'; message: string; retry?: boolean}
	| {type: 'retry'};

export const MIN_PASSWORD = 6;

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
	const base: SetupState = {info, step: {kind: 'choose-wallet'}, mnemonic: null, password: null, network: info.network, chain: null};
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
		case 'chain-info':
			if (event.chain.uid !== null) {
				return {...state, chain: event.chain, step: {kind: 'done', uid: event.chain.uid, network: state.network ?? '', alreadyRegistered: true}};
			}
			return {...state, chain: event.chain, step: {kind: 'confirm-register', chain: event.chain}};
		case 'register-confirmed':
			if (state.password) return {...state, step: {kind: 'working', what: 'registering'}};
			return {...state, step: {kind: 'password', purpose: 'unlock', error: null}};
		case 'register-declined':
			return {...state, step: {kind: 'failed', message: 'registration skipped: run `iota-tui register` when you are ready', retry: null}};
		case 'registered':
			return {...state, step: {kind: 'done', uid: event.uid, network: state.network ?? '', alreadyRegistered: event.alreadyRegistered}};
		case 'failed': {
			// A wrong password sends the user back to the password prompt; other failures offer a retry.
			if (/wrong password/.test(event.message)) return {...state, password: null, step: {kind: 'password', purpose: 'unlock', error: event.message}};
			const retry = event.retry === false ? null : state.chain ? {kind: 'confirm-register', chain: state.chain} as Step : afterWallet(state);
			return {...state, step: {kind: 'failed', message: event.message, retry}};
		}
		case 'retry':
			if (step.kind !== 'failed' || !step.retry) return state;
			return {...state, step: step.retry};
	}
}

export type SetupEffect =
	| {kind: 'create-hotkey'}
	| {kind: 'write-wallet'; mnemonic: string; password: string}
	| {kind: 'inspect'; network: string}
	| {kind: 'register'; network: string; password: string};

// What the services must do for the current state (null: wait for the user).
export function nextEffect(state: SetupState): SetupEffect | null {
	if (state.step.kind !== 'working') return null;
	if (!state.info.hasColdkey) return state.mnemonic && state.password ? {kind: 'write-wallet', mnemonic: state.mnemonic, password: state.password} : null;
	if (!state.info.hasHotkey) return {kind: 'create-hotkey'};
	if (!state.network) return null;
	if (!state.chain) return {kind: 'inspect', network: state.network};
	return state.password ? {kind: 'register', network: state.network, password: state.password} : null;
}
