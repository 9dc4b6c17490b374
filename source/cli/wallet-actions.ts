// What `iota-tui wallet create|import|list|show` do (loaded only when one of them runs).
import {readFile, writeFile, stat} from 'node:fs/promises';
import type {Command} from 'commander';
import {config, interactive, newPassword, noTerminal, printJson, walletRef, type WalletOptions} from './common.js';
import {UsageError, UserError} from '../errors.js';
import {promptConfirm, promptText, withSpinner} from '../ui/prompt.js';
import {confirmWordIndex} from '../setup/state.js';
import {keyDataFromMnemonic, newMnemonic, ready} from '../wallet/keys.js';
import {coldkeyFile, createWallet, hotkeyFile, listWallets, readColdkeyPub, readHotkey, walletDir, walletExists, type WalletRef} from '../wallet/wallet.js';
import {detectKeyFile} from '../wallet/keyfile.js';

export type CreateOptions = WalletOptions & {passwordFile?: string; prompt: boolean; words: number; overwrite?: boolean; yes?: boolean; json?: boolean; mnemonicFile?: string};
export type ImportOptions = CreateOptions & {hotkeyMnemonicFile?: string};

async function guardOverwrite(ref: WalletRef, opts: CreateOptions, coldkeyToo: boolean): Promise<void> {
	const present = await walletExists(ref);
	const clash = (coldkeyToo && present.coldkey) || present.hotkey;
	if (!clash) return;
	const what = coldkeyToo && present.coldkey ? `wallet "${ref.name}" (coldkey ${coldkeyFile(ref)})` : `hotkey ${hotkeyFile(ref)}`;
	if (!opts.overwrite) throw new UserError(`${what} already exists: refusing to overwrite keys (pick another --wallet/--hotkey, or pass --overwrite after backing it up)`);
	if (opts.yes) return;
	if (!opts.prompt || !interactive()) throw new UsageError(`--overwrite replaces ${what} for good: add --yes to confirm without a terminal`);
	if (!(await promptConfirm(`Really replace ${what}? The old key is lost unless you have its mnemonic.`, 'pass --yes'))) throw new UserError('nothing changed');
}

async function saveMnemonics(file: string, lines: string[]): Promise<void> {
	if (await stat(file).then(() => true, () => false)) throw new UserError(`--mnemonic-file ${file} already exists: refusing to overwrite it`);
	await writeFile(file, `${lines.join('\n')}\n`, {mode: 0o600, flag: 'wx'});
}

async function confirmMnemonic(mnemonic: string): Promise<void> {
	const index = confirmWordIndex(mnemonic);
	for (;;) {
		const word = await promptText(`To confirm, type word #${index + 1}:`, 'pass --no-prompt');
		if (word.trim().toLowerCase() === mnemonic.split(' ')[index]) return;
		process.stderr.write(`that is not word #${index + 1}; check what you wrote down\n`);
	}
}

async function readMnemonicFile(file: string): Promise<string> {
	const text = await readFile(file, 'utf8').catch(error => {
		throw new UserError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
	});
	return text.trim().split(/\s+/).join(' ');
}

function report(opts: {json?: boolean}, ref: WalletRef, made: {coldkey: string; hotkey: string}, verb: string) {
	if (opts.json) {
		printJson({coldkey: made.coldkey, hotkey: made.hotkey});
		return;
	}
	process.stdout.write(`${verb} wallet "${ref.name}" in ${walletDir(ref)}\ncoldkey ${made.coldkey}\nhotkey  ${made.hotkey} ("${ref.hotkey}")\n`);
}

export async function create(cmd: Command, opts: CreateOptions) {
	await ready();
	const cfg = config(cmd);
	const ref = walletRef(opts, cfg);
	const words = opts.words;
	const present = await walletExists(ref);
	const hotkeyOnly = present.coldkey && !opts.overwrite;
	await guardOverwrite(ref, opts, !hotkeyOnly);
	const ask = opts.prompt && interactive();
	if (!ask && !opts.passwordFile && !hotkeyOnly) throw new UsageError(`${noTerminal('to ask for a password')}: pass --password-file FILE (and --no-prompt)`);
	const coldkeyMnemonic = hotkeyOnly ? undefined : newMnemonic(words);
	const hotkeyMnemonic = newMnemonic(words);
	if (coldkeyMnemonic && ask) {
		const {showMnemonicOnce} = await import('../ui/MnemonicCard.js');
		await showMnemonicOnce(coldkeyMnemonic, 'Coldkey mnemonic');
		await confirmMnemonic(coldkeyMnemonic);
	}
	const password = hotkeyOnly ? '' : await newPassword(ask ? {} : opts);
	if (opts.mnemonicFile) {
		await saveMnemonics(opts.mnemonicFile, [...(coldkeyMnemonic ? [`coldkey: ${coldkeyMnemonic}`] : []), `hotkey: ${hotkeyMnemonic}`]);
	}
	const made = await withSpinner(hotkeyOnly ? 'writing the hotkey' : 'encrypting the coldkey (Argon2i, a few seconds)', () =>
		createWallet({...ref, password, coldkeyMnemonic, hotkeyMnemonic, overwrite: opts.overwrite, reuseColdkey: hotkeyOnly}));
	if (!ask && coldkeyMnemonic && !opts.mnemonicFile) {
		process.stderr.write('note: the mnemonic was not shown (no prompt); the encrypted coldkey file is the only copy: back it up, or recreate with --mnemonic-file FILE\n');
	}
	report(opts, ref, made, hotkeyOnly ? 'added a hotkey to' : 'created');
}

export async function importWallet(cmd: Command, opts: ImportOptions) {
	await ready();
	const ref = walletRef(opts, config(cmd));
	await guardOverwrite(ref, opts, true);
	const ask = opts.prompt && interactive();
	const mnemonic = opts.mnemonicFile
		? await readMnemonicFile(opts.mnemonicFile)
		: ask ? (await promptText('Coldkey mnemonic (hidden):', '', true)).trim().split(/\s+/).join(' ') : '';
	if (!mnemonic) throw new UsageError('no mnemonic: pass --mnemonic-file FILE');
	keyDataFromMnemonic(mnemonic); // validates before asking for a password
	const hotkeyMnemonic = opts.hotkeyMnemonicFile ? await readMnemonicFile(opts.hotkeyMnemonicFile) : newMnemonic(12);
	keyDataFromMnemonic(hotkeyMnemonic);
	if (!ask && !opts.passwordFile) throw new UsageError(`${noTerminal('to ask for a password')}: pass --password-file FILE`);
	const password = await newPassword(ask ? {} : opts);
	const made = await withSpinner('encrypting the coldkey (Argon2i, a few seconds)', () =>
		createWallet({...ref, password, coldkeyMnemonic: mnemonic, hotkeyMnemonic, overwrite: opts.overwrite}));
	report(opts, ref, made, 'imported');
}

export async function list(cmd: Command, opts: WalletOptions & {json?: boolean}) {
	const ref = walletRef(opts, config(cmd));
	const wallets = await listWallets(ref.path);
	if (opts.json) {
		printJson({path: ref.path, wallets});
		return;
	}
	if (wallets.length === 0) {
		process.stdout.write(`no wallets in ${ref.path}: create one with \`iota-tui wallet create\`\n`);
		return;
	}
	process.stdout.write(`${ref.path}\n`);
	for (const w of wallets) {
		process.stdout.write(`${w.name}  coldkey ${w.coldkey ?? '(missing coldkeypub.txt)'}\n`);
		for (const h of w.hotkeys) process.stdout.write(`  └ ${h.name}  ${h.ss58 ?? '(unreadable)'}\n`);
	}
}

export async function show(cmd: Command, opts: WalletOptions & {json?: boolean}) {
	const ref = walletRef(opts, config(cmd));
	const cold = await readColdkeyPub(ref);
	const hot = await readHotkey(ref).catch(() => null);
	const encryption = detectKeyFile(await readFile(coldkeyFile(ref)).catch(() => Buffer.alloc(0)));
	const info = {
		wallet: ref.name, path: walletDir(ref), coldkey: cold.ss58Address, coldkeyPublicKey: cold.publicKey,
		coldkeyEncryption: encryption === 'nacl' ? '$NACL' : encryption, hotkeyName: ref.hotkey, hotkey: hot?.ss58Address ?? null,
		hotkeyPublicKey: hot?.publicKey ?? null,
	};
	if (opts.json) {
		printJson(info);
		return;
	}
	for (const [k, v] of Object.entries(info)) process.stdout.write(`${k.padEnd(18)} ${v ?? '(none)'}\n`);
}
