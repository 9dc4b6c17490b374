// A btcli-compatible wallet tree: <root>/<wallet>/{coldkey, coldkeypub.txt, hotkeys/<hk>, hotkeys/<hk>pub.txt}.
import {mkdir, readFile, readdir, writeFile, stat, chmod, rename} from 'node:fs/promises';
import {join} from 'node:path';
import type {KeyringPair} from '@polkadot/keyring/types';
import {UserError, errorMessage} from '../errors.js';
import {decrypt, encrypt, detectKeyFile} from './keyfile.js';
import {keyDataFromMnemonic, pairFromKeyData, publicPart, ready, type KeyData, type PublicKeyData} from './keys.js';

export {DEFAULT_WALLET_PATH} from '../paths.js';

export type WalletRef = {path: string; name: string; hotkey: string};

export const walletDir = (w: Pick<WalletRef, 'path' | 'name'>) => join(w.path, w.name);
export const coldkeyFile = (w: Pick<WalletRef, 'path' | 'name'>) => join(walletDir(w), 'coldkey');
export const coldkeyPubFile = (w: Pick<WalletRef, 'path' | 'name'>) => join(walletDir(w), 'coldkeypub.txt');
export const hotkeyFile = (w: WalletRef) => join(walletDir(w), 'hotkeys', w.hotkey);
export const hotkeyPubFile = (w: WalletRef) => join(walletDir(w), 'hotkeys', `${w.hotkey}pub.txt`);

const exists = async (file: string) => stat(file).then(() => true, () => false);

// btwallet (Rust) writes compact JSON; readers accept any JSON.
const keyJson = (data: Partial<KeyData>) => JSON.stringify(data);

// Write to a temp file then rename, so a crash never leaves half a key file.
async function writeSecretFile(file: string, bytes: Uint8Array | string, overwrite: boolean): Promise<void> {
	if (!overwrite && (await exists(file))) {
		throw new UserError(`${file} already exists: refusing to overwrite a key (pass --overwrite to replace it, after backing it up)`);
	}
	const tmp = `${file}.tmp-${process.pid}`;
	await writeFile(tmp, bytes, {mode: 0o600});
	await chmod(tmp, 0o600);
	await rename(tmp, file);
}

async function ensureDirs(w: WalletRef): Promise<void> {
	for (const dir of [w.path, walletDir(w), join(walletDir(w), 'hotkeys')]) {
		await mkdir(dir, {recursive: true, mode: 0o700});
	}
	await chmod(walletDir(w), 0o700);
	await chmod(join(walletDir(w), 'hotkeys'), 0o700);
}

export type WalletExists = {coldkey: boolean; hotkey: boolean};

export async function walletExists(w: WalletRef): Promise<WalletExists> {
	return {coldkey: await exists(coldkeyFile(w)), hotkey: await exists(hotkeyFile(w))};
}

export async function writeColdkey(w: WalletRef, data: KeyData, password: string, overwrite = false): Promise<void> {
	await ensureDirs(w);
	if (!overwrite && ((await exists(coldkeyFile(w))) || (await exists(coldkeyPubFile(w))))) {
		throw new UserError(`wallet "${w.name}" already has a coldkey in ${walletDir(w)}: refusing to overwrite it (use --overwrite to replace it, or pick another --wallet)`);
	}
	const sealed = await encrypt(Buffer.from(keyJson(data), 'utf8'), password);
	await writeSecretFile(coldkeyFile(w), sealed, true);
	await writeSecretFile(coldkeyPubFile(w), keyJson(publicPart(data)), true);
}

export async function writeHotkey(w: WalletRef, data: KeyData, overwrite = false): Promise<void> {
	await ensureDirs(w);
	if (!overwrite && (await exists(hotkeyFile(w)))) {
		throw new UserError(`hotkey "${w.hotkey}" already exists in ${walletDir(w)}: refusing to overwrite it (use --overwrite, or pick another --hotkey)`);
	}
	await writeSecretFile(hotkeyFile(w), keyJson(data), true);
	await writeSecretFile(hotkeyPubFile(w), keyJson(publicPart(data)), true);
}

function parseKeyJson(text: string, file: string): Partial<KeyData> {
	try {
		const data = JSON.parse(text) as unknown;
		if (data && typeof data === 'object' && ('ss58Address' in data || 'publicKey' in data)) return data as Partial<KeyData>;
	} catch {
		// fall through to the error below
	}
	throw new UserError(`${file} is not a valid key file (corrupt JSON): restore it from a backup or re-import the key from its mnemonic`);
}

async function readOrExplain(file: string, what: string): Promise<Buffer> {
	try {
		return await readFile(file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			throw new UserError(`no ${what} at ${file}: create one with \`iota-tui wallet create\` or import one with \`iota-tui wallet import\``);
		}
		throw new UserError(`cannot read ${file}: ${errorMessage(error)}`);
	}
}

export async function readColdkeyPub(w: Pick<WalletRef, 'path' | 'name'>): Promise<PublicKeyData> {
	const file = coldkeyPubFile(w);
	return parseKeyJson((await readOrExplain(file, 'coldkey')).toString('utf8'), file) as PublicKeyData;
}

export async function readHotkey(w: WalletRef): Promise<Partial<KeyData>> {
	const file = hotkeyFile(w);
	const bytes = await readOrExplain(file, 'hotkey');
	const kind = detectKeyFile(bytes);
	if (kind !== 'json') {
		throw new UserError(`${file} is ${kind === 'nacl' ? 'an encrypted hotkey, which iota-tui does not support yet: recreate the hotkey unencrypted (btcli default)' : 'not a valid key file (corrupt)'}`);
	}
	return parseKeyJson(bytes.toString('utf8'), file);
}

export async function loadHotkeyPair(w: WalletRef): Promise<KeyringPair> {
	await ready();
	return pairFromKeyData(await readHotkey(w));
}

export async function loadColdkeyPair(w: Pick<WalletRef, 'path' | 'name'>, password: string): Promise<KeyringPair> {
	await ready();
	const file = coldkeyFile(w);
	const plain = await decrypt(await readOrExplain(file, 'coldkey'), password);
	return pairFromKeyData(parseKeyJson(Buffer.from(plain).toString('utf8'), file));
}

export type CreatedWallet = {coldkey: string; hotkey: string; coldkeyMnemonic?: string; hotkeyMnemonic?: string};

// Creates what is missing: a coldkey (from a mnemonic) and a hotkey (from another mnemonic).
export async function createWallet(opts: WalletRef & {
	password: string;
	coldkeyMnemonic?: string;
	hotkeyMnemonic: string;
	overwrite?: boolean;
	reuseColdkey?: boolean;
}): Promise<CreatedWallet> {
	await ready();
	const present = await walletExists(opts);
	let coldkey: string;
	if (present.coldkey && opts.reuseColdkey && !opts.overwrite) {
		coldkey = (await readColdkeyPub(opts)).ss58Address;
	} else {
		if (!opts.coldkeyMnemonic) throw new UserError('a coldkey mnemonic is needed to create the coldkey');
		const cold = keyDataFromMnemonic(opts.coldkeyMnemonic);
		await writeColdkey(opts, cold, opts.password, opts.overwrite);
		coldkey = cold.ss58Address;
	}
	const hot = keyDataFromMnemonic(opts.hotkeyMnemonic);
	await writeHotkey(opts, hot, opts.overwrite);
	return {coldkey, hotkey: hot.ss58Address};
}

export type WalletSummary = {name: string; coldkey: string | null; hotkeys: {name: string; ss58: string | null}[]};

export async function listWallets(path: string): Promise<WalletSummary[]> {
	const names = await readdir(path).catch(() => [] as string[]);
	const out: WalletSummary[] = [];
	for (const name of names.sort()) {
		if (!(await stat(join(path, name)).then(s => s.isDirectory(), () => false))) continue;
		const coldkey = await readColdkeyPub({path, name}).then(p => p.ss58Address, () => null);
		const files = await readdir(join(path, name, 'hotkeys')).catch(() => [] as string[]);
		const hotkeys = [];
		for (const hk of files.filter(f => !f.endsWith('pub.txt') && !f.includes('.tmp-')).sort()) {
			const ss58 = await readHotkey({path, name, hotkey: hk}).then(d => d.ss58Address ?? null, () => null);
			hotkeys.push({name: hk, ss58});
		}
		out.push({name, coldkey, hotkeys});
	}
	return out;
}
