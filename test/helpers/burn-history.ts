// Manual blocks on the devnet chain with a line of burn history per block: the registration tests' clock.
import type {ChainClient} from '../../source/chain/client.js';
import {readRegistrationWindow} from '../../source/chain/registration-window.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';

export function burnHistory(chain: () => ChainClient, netuid: number, interval: number, label = '') {
	const lines: string[] = [];
	const note = async (what: string) => {
		const w = await readRegistrationWindow(chain(), netuid);
		lines.push(`block ${w.block}: burn ${w.burn} rao${label}, ${w.registrationsThisInterval} regs this interval, ${w.subnetN}/${w.maxUids} uids  ${what}`);
		return w;
	};
	const newBlock = async (what = '') => {
		await chain().api.rpc('dev_newBlock' as never, {count: 1} as never);
		return note(what);
	};
	/** Builds blocks until the one where the burn was adjusted and the interval counter reset. */
	const untilAdjusted = async () => {
		for (let i = 0; i <= interval + 1; i++) {
			const w = await newBlock();
			if (w.lastAdjustmentBlock === w.block) return w;
		}
		throw new Error('no burn adjustment within an interval');
	};
	/** A funded coldkey (its transfer builds a block) and a fresh hotkey. */
	const newKeys = async () => {
		const coldkey = await pairFromMnemonic(newMnemonic());
		await chain().fundFromFaucet(coldkey.address);
		return {coldkey, hotkey: (await pairFromMnemonic(newMnemonic())).address};
	};
	return {lines, note, newBlock, untilAdjusted, newKeys};
}
