// `mine --auto [--max-burn TAO]`: the cap (from the flag or a saved `register --auto` wish) and the coldkey, unlocked once.
import {dirname} from 'node:path';
import {readPassword} from './common.js';
import {UsageError} from '../errors.js';
import {readWish, sameTarget} from '../chain/auto-register.js';
import {loadColdkeyPair, type WalletRef} from '../wallet/wallet.js';
import type {MinerOptions} from '../miner/options.js';

export type AutoFlags = {auto?: boolean; maxBurn?: bigint; passwordFile?: string};

/** Undefined without --auto. The password is asked here, before the dashboard draws, and kept in memory only. */
export async function autoRegisterOption(flags: AutoFlags, configPath: string, target: {network: string; netuid: number; ref: WalletRef}): Promise<MinerOptions['autoRegister']> {
	if (!flags.auto) {
		if (flags.maxBurn !== undefined) throw new UsageError('--max-burn goes with --auto');
		return undefined;
	}
	let maxBurn = flags.maxBurn;
	if (maxBurn === undefined) {
		const wish = readWish(dirname(configPath));
		if (!wish || !sameTarget(wish, {network: target.network, netuid: target.netuid, wallet: target.ref.name, hotkey: target.ref.hotkey})) {
			throw new UsageError('--auto needs --max-burn TAO (no saved `register --auto` wish for this wallet, hotkey and network)');
		}
		maxBurn = BigInt(wish.max_burn_rao);
	}
	const coldkey = await loadColdkeyPair(target.ref, await readPassword(flags, 'Coldkey password (kept in memory to register again under the cap)'));
	return {coldkey, maxBurn};
}
