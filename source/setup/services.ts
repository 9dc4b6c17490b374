// Effects of the setup flow: wallet files and the chain. Returns events for the setup reducer.
import {mnemonicValidate} from '@polkadot/util-crypto';
import {connectChain, type ChainClient} from '../chain/client.js';
import {readWish, removeWish, sameTarget, writeWish} from '../chain/auto-register.js';
import {untilRegistered} from '../chain/auto-register-loop.js';
import {followHeads, readRegistrationWindow} from '../chain/registration-window.js';
import type {Check} from '../doctor/types.js';
import {connectOrStartDevnet} from '../chain/autostart.js';
import {resolveNetwork} from '../chain/networks.js';
import {errorMessage} from '../errors.js';
import {newMnemonic} from '../wallet/keys.js';
import {createWallet, loadColdkeyPair, readColdkeyPub, readHotkey, type WalletRef} from '../wallet/wallet.js';
import type {ChainInfo, SetupEffect, SetupEvent} from './state.js';

/** For long effects: events sent while it runs (the result comes last), and a signal that stops it. */
export type EffectIO = {emit?: (event: SetupEvent) => void; signal?: AbortSignal};

export type SetupServices = {
	newMnemonic(): string;
	validMnemonic(mnemonic: string): boolean;
	run(effect: SetupEffect, io?: EffectIO): Promise<SetupEvent>;
	/** Sends a 'window' event at each new block until the returned function is called. */
	watchWindow(network: string, emit: (event: SetupEvent) => void): () => void;
	close(): Promise<void>;
};

export type SetupContext = {
	wallet: WalletRef; netuid: number; devnetUrl?: string; autostart?: boolean;
	saveNetwork?: (network: string) => void; progress?: (what: string) => void;
	/** Where `register --auto` keeps its wish (the config folder); no wish is read or written without it. */
	configDir?: string;
	/** The doctor checks for this network (the CLI resolves the targets as `iota-tui doctor` does). */
	doctor?: (network: string) => Promise<Check[]>;
};

export function makeSetupServices(ctx: SetupContext): SetupServices {
	let client: ChainClient | null = null;
	const connect = async (network: string) => {
		const {url, name} = resolveNetwork(network, ctx.devnetUrl);
		if (client && client.url !== url) await client.close();
		if (!client || client.url !== url) {
			// The named devnet is ours to start; explicit URLs are only connected to.
			client = network === 'devnet' && name === 'devnet' && ctx.autostart !== false
				? (await connectOrStartDevnet(url, line => ctx.progress?.(line))).client
				: await connectChain(url);
		}
		return client;
	};

	async function inspect(network: string): Promise<ChainInfo> {
		const chain = await connect(network);
		const coldkey = (await readColdkeyPub(ctx.wallet)).ss58Address;
		const hotkey = (await readHotkey(ctx.wallet)).ss58Address!;
		const devnet = await chain.isDevnet();
		if (await chain.topUpForRegistration(coldkey, ctx.netuid)) ctx.progress?.('funded the coldkey from the devnet faucet');
		const [balance, burn, uid, open, window] = await Promise.all([
			chain.balance(coldkey), chain.burn(ctx.netuid), chain.getUid(ctx.netuid, hotkey), chain.registrationOpen(ctx.netuid),
			readRegistrationWindow(chain, ctx.netuid),
		]);
		ctx.saveNetwork?.(network);
		return {url: chain.url, devnet, balance, burn, uid, open, window, wish: savedWish(chain.url)};
	}

	const target = (url: string) => ({network: url, netuid: ctx.netuid, wallet: ctx.wallet.name, hotkey: ctx.wallet.hotkey});
	function savedWish(url: string) {
		const wish = ctx.configDir ? readWish(ctx.configDir) : null;
		return wish && sameTarget(wish, target(url)) ? {capRao: BigInt(wish.max_burn_rao), createdAt: wish.created_at} : null;
	}

	/** `register --auto` from the wizard: unlock once, keep the wish on disk (never the password), wait, register under the cap. */
	async function autoRegister(network: string, password: string, cap: bigint, io: EffectIO): Promise<SetupEvent> {
		const coldkey = await loadColdkeyPair(ctx.wallet, password);
		const chain = await connect(network);
		const hotkey = (await readHotkey(ctx.wallet)).ss58Address!;
		if (ctx.configDir) writeWish(ctx.configDir, {...target(chain.url), max_burn_rao: cap.toString(), created_at: new Date().toISOString()});
		const result = await untilRegistered(chain, ctx.netuid, hotkey, coldkey, cap, {
			onWait: (why, w) => io.emit?.({type: 'auto-waiting', why, block: w.block}),
			onWindow: window => io.emit?.({type: 'window', window}),
			onReadError: message => io.emit?.({type: 'auto-waiting', why: `reading the chain failed (${message}); trying at the next block`, block: null}),
		}, io.signal);
		if (!result) return {type: 'auto-waiting', why: 'stopped', block: null}; // the wizard left this step: nobody reads it
		if (ctx.configDir) removeWish(ctx.configDir);
		return {type: 'registered', uid: result.uid, alreadyRegistered: result.already, burnPaid: result.burnPaid};
	}

	async function doctor(network: string): Promise<SetupEvent> {
		if (!ctx.doctor) return {type: 'doctor-result', checks: []};
		try {
			return {type: 'doctor-result', checks: await ctx.doctor(network)};
		} catch (error) {
			const check = {name: 'doctor', ok: false, detail: `could not run: ${errorMessage(error)}`, fix: 'run `iota-tui doctor` to see why', blocking: true};
			return {type: 'doctor-result', checks: [check]};
		}
	}

	return {
		newMnemonic: () => newMnemonic(12),
		validMnemonic: m => {
			const words = m.trim().split(/\s+/);
			return [12, 15, 18, 21, 24].includes(words.length) && mnemonicValidate(words.join(' '));
		},
		async run(effect, io = {}) {
			try {
				switch (effect.kind) {
					case 'write-wallet': {
						const made = await createWallet({...ctx.wallet, password: effect.password, coldkeyMnemonic: effect.mnemonic, hotkeyMnemonic: newMnemonic(12)});
						return {type: 'wallet-written', coldkey: made.coldkey, hotkey: made.hotkey};
					}
					case 'create-hotkey': {
						const made = await createWallet({...ctx.wallet, password: '', hotkeyMnemonic: newMnemonic(12), reuseColdkey: true});
						return {type: 'wallet-written', coldkey: made.coldkey, hotkey: made.hotkey};
					}
					case 'inspect':
						return {type: 'chain-info', chain: await inspect(effect.network)};
					case 'register': {
						const coldkey = await loadColdkeyPair(ctx.wallet, effect.password);
						const chain = await connect(effect.network);
						const hotkey = (await readHotkey(ctx.wallet)).ss58Address!;
						const result = await chain.burnedRegister(coldkey, hotkey, ctx.netuid);
						return {type: 'registered', uid: result.uid, alreadyRegistered: result.alreadyRegistered};
					}
					case 'auto-register':
						return await autoRegister(effect.network, effect.password, effect.cap, io);
					case 'drop-wish': {
						// Only this target's wish: the file may hold one for another wallet or network.
						const {url} = resolveNetwork(effect.network, ctx.devnetUrl);
						if (ctx.configDir && savedWish(url)) removeWish(ctx.configDir);
						return {type: 'wish-dropped'};
					}
					case 'doctor':
						return await doctor(effect.network);
				}
			} catch (error) {
				return {type: 'failed', message: errorMessage(error)};
			}
		},
		watchWindow(network, emit) {
			let stopped = false;
			let off: (() => void) | null = null;
			void connect(network)
				.then(chain => followHeads(chain, ctx.netuid, window => void (stopped || emit({type: 'window', window})), () => undefined))
				.then(unsubscribe => (stopped ? unsubscribe() : (off = unsubscribe)), () => undefined); // a failed read keeps the last window shown
			return () => {
				stopped = true;
				off?.();
			};
		},
		async close() {
			await client?.close();
			client = null;
		},
	};
}
