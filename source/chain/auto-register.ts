// `register --auto`: the rule for when to register under a burn cap, and the wish kept on disk across restarts.
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {windowOpen, type RegistrationWindow} from './registration-window.js';
import {formatTao} from './client.js';

export type Decision = {action: 'register'} | {action: 'wait'; why: string} | {action: 'done'; uid: number};

/** Register only with no uid yet, an open window and a burn at or under the cap; otherwise say what we wait for. */
export function decide(w: RegistrationWindow, capRao: bigint, uid: number | null): Decision {
	if (uid !== null) return {action: 'done', uid};
	const why = closedReason(w);
	if (why) return {action: 'wait', why};
	if (w.burn === null) return {action: 'wait', why: `burn on subnet ${w.netuid} unreadable`};
	if (w.burn > capRao) return {action: 'wait', why: `burn ${formatTao(w.burn)} above your cap ${formatTao(capRao)}`};
	return {action: 'register'};
}

/** Why the window is closed, worded for a miner waiting on it (null when open). */
function closedReason(w: RegistrationWindow): string | null {
	const {open} = windowOpen(w);
	if (open) return null;
	if (w.registrationAllowed === false) return `registration disabled on subnet ${w.netuid}`;
	if (w.registrationsThisBlock !== null && w.maxPerBlock !== null && w.registrationsThisBlock >= w.maxPerBlock) {
		return `block full (${w.registrationsThisBlock}/${w.maxPerBlock}), next block`;
	}
	const resets = w.blocksUntilReset === null ? '' : `, resets in ${w.blocksUntilReset} blocks`;
	return `interval full (${w.registrationsThisInterval}/${(w.targetPerInterval ?? 0) * 3})${resets}`;
}

/** What `--auto` keeps on disk: enough to resume after a restart. Never the password. */
export type Wish = {network: string; netuid: number; wallet: string; hotkey: string; max_burn_rao: string; created_at: string};

export const wishFile = (configDir: string) => join(configDir, 'auto-register.json');

export function readWish(configDir: string): Wish | null {
	const file = wishFile(configDir);
	if (!existsSync(file)) return null;
	try {
		const w = JSON.parse(readFileSync(file, 'utf8')) as Partial<Wish>;
		if (typeof w.network !== 'string' || typeof w.wallet !== 'string' || typeof w.hotkey !== 'string' || !/^\d+$/.test(String(w.max_burn_rao))) return null;
		return w as Wish;
	} catch {
		return null; // an unreadable wish is treated as none: --max-burn writes a fresh one
	}
}

export function writeWish(configDir: string, wish: Wish): void {
	mkdirSync(configDir, {recursive: true});
	const file = wishFile(configDir);
	writeFileSync(file, `${JSON.stringify(wish, null, 2)}\n`, {mode: 0o600});
	chmodSync(file, 0o600); // an existing file keeps its old mode on write
}

export function removeWish(configDir: string): boolean {
	const file = wishFile(configDir);
	if (!existsSync(file)) return false;
	rmSync(file);
	return true;
}

/** Whether a stored wish is for this wallet, hotkey, network and subnet. */
export const sameTarget = (w: Wish, t: Pick<Wish, 'network' | 'netuid' | 'wallet' | 'hotkey'>) =>
	w.network === t.network && w.netuid === t.netuid && w.wallet === t.wallet && w.hotkey === t.hotkey;
