// Effects of the setup flow: wallet files and the chain. Returns events for the setup reducer.
import {mnemonicValidate} from '@polkadot/util-crypto';
import {connectChain, type ChainClient} from '../chain/client.js';
import {connectOrStartDevnet} from '../chain/autostart.js';
import {resolveNetwork} from '../chain/networks.js';
import {errorMessage} from '../errors.js';
import {newMnemonic} from '../wallet/keys.js';
import {createWallet, loadColdkeyPair, readColdkeyPub, readHotkey, type WalletRef} from '../wallet/wallet.js';
import type {ChainInfo, SetupEffect, SetupEvent} from './state.js';

export type SetupServices = {
	newMnemonic(): string;
	validMnemonic(mnemonic: string): boolean;
	run(effect: SetupEffect): Promise<SetupEvent>;
	close(): Promise<void>;
};

export type SetupContext = {wallet: WalletRef; netuid: number; devnetUrl?: string; autostart?: boolean; saveNetwork?: (network: string) => void; progress?: (what: string) => void};

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
		const [balance, burn, uid, open] = await Promise.all([
			chain.balance(coldkey), chain.burn(ctx.netuid), chain.getUid(ctx.netuid, hotkey), chain.registrationOpen(ctx.netuid),
		]);
		ctx.saveNetwork?.(network);
		return {url: chain.url, devnet, balance, burn, uid, open};
	}

	return {
		newMnemonic: () => newMnemonic(12),
		validMnemonic: m => {
			const words = m.trim().split(/\s+/);
			return [12, 15, 18, 21, 24].includes(words.length) && mnemonicValidate(words.join(' '));
		},
		async run(effect) {
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
				}
			} catch (error) {
				return {type: 'failed', message: errorMessage(error)};
			}
		},
		async close() {
			await client?.close();
			client = null;
		},
	};
}
