// The wallet's key files: present, and private (no group/world access). Never reads the coldkey's
// secret and never writes to the wallet.
import {stat} from 'node:fs/promises';
import {coldkeyFile, hotkeyFile, readHotkey, walletDir, type WalletRef} from '../wallet/wallet.js';
import {errorMessage} from '../errors.js';
import {fail, pass, type Check} from './types.js';

/** The hotkey's ss58 address when its file reads, else null (and why). */
export type WalletResult = {checks: Check[]; hotkey: string | null};

const mode = async (file: string) => stat(file).then(s => s.mode & 0o777, () => null);
const octal = (m: number) => `0${m.toString(8).padStart(3, '0')}`;

/** Key files readable by the group or others (mode & 077), as "path (mode)". Missing files are skipped. */
export async function openKeyFiles(files: string[]): Promise<{file: string; mode: number}[]> {
	const modes = await Promise.all(files.map(async file => ({file, mode: await mode(file)})));
	return modes.filter((m): m is {file: string; mode: number} => m.mode !== null && (m.mode & 0o077) !== 0);
}

export async function checkWallet(ref: WalletRef): Promise<WalletResult> {
	const [presence, modes] = await Promise.all([presenceCheck(ref), modesCheck(ref)]);
	return {checks: [presence.check, modes], hotkey: presence.hotkey};
}

async function presenceCheck(ref: WalletRef): Promise<{check: Check; hotkey: string | null}> {
	const where = `wallet "${ref.name}" hotkey "${ref.hotkey}" in ${ref.path}`;
	let hotkey: string;
	try {
		hotkey = (await readHotkey(ref)).ss58Address ?? '';
		if (!hotkey) throw new Error(`${hotkeyFile(ref)} has no ss58Address`);
	} catch (error) {
		const fix = `create it with \`iota-tui wallet create\` (or \`iota-tui wallet import\`), or point --wallet-path / --wallet / --hotkey at yours`;
		return {check: fail('wallet', `${where}: ${errorMessage(error).replace(/: create one with .*$/, '')}`, fix, true), hotkey: null};
	}
	// Mining needs only the hotkey; a coldkey kept off the mining machine is good practice.
	const cold = (await mode(coldkeyFile(ref))) !== null ? 'coldkey present' : 'no coldkey here (fine for mining; `register` needs it)';
	return {check: pass('wallet', `${where}: hotkey ${hotkey}, ${cold}`, true), hotkey};
}

async function modesCheck(ref: WalletRef): Promise<Check> {
	const files = [coldkeyFile(ref), hotkeyFile(ref)];
	if ((await Promise.all(files.map(mode))).every(m => m === null)) return pass('wallet_modes', `not checked: no key files in ${walletDir(ref)}`);
	const open = await openKeyFiles(files);
	if (open.length === 0) return pass('wallet_modes', `key files in ${walletDir(ref)} are private (no group or world access)`);
	const list = open.map(o => `${o.file} is ${octal(o.mode)}`).join(', ');
	return fail('wallet_modes', `${list}: other users can read the key`, `chmod 600 ${open.map(o => o.file).join(' ')}`);
}
