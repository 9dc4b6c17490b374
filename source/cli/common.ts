// Pieces every command's work shares: config, wallet names, passwords, output.
export type {WalletOptions} from './options.js';
import {readFile} from 'node:fs/promises';
import type {Command} from 'commander';
import type {WalletOptions} from './options.js';
import {loadConfig, type ConfigStore} from '../config.js';
import {UsageError, UserError} from '../errors.js';
import type {WalletRef} from '../wallet/wallet.js';


export type GlobalOptions = {theme?: string; configDir?: string};

export function globals(cmd: Command): GlobalOptions {
	return cmd.optsWithGlobals() as GlobalOptions;
}

export function config(cmd: Command): ConfigStore {
	return loadConfig(globals(cmd).configDir);
}

export function walletRef(opts: WalletOptions, cfg: ConfigStore): WalletRef {
	const ref = {path: opts.walletPath ?? cfg.values.walletPath, name: opts.wallet ?? cfg.values.wallet, hotkey: opts.hotkey ?? cfg.values.hotkey};
	for (const [flag, value] of [['--wallet', ref.name], ['--hotkey', ref.hotkey]] as const) {
		if (!value || /[/\\]/.test(value) || value === '.' || value === '..') throw new UsageError(`${flag} must be a plain name (no slashes)`);
	}
	return ref;
}

export async function readPassword(opts: {passwordFile?: string}, purpose: string): Promise<string> {
	if (opts.passwordFile) {
		let text: string;
		try {
			text = await readFile(opts.passwordFile, 'utf8');
		} catch (error) {
			throw new UserError(`cannot read --password-file ${opts.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
		}
		const password = text.split(/\r?\n/)[0] ?? '';
		if (!password) throw new UserError(`--password-file ${opts.passwordFile} is empty`);
		return password;
	}
	return promptPassword(`${purpose}:`, 'pass --password-file FILE');
}

export async function newPassword(opts: {passwordFile?: string}): Promise<string> {
	if (opts.passwordFile) {
		const password = await readPassword(opts, '');
		if (password.length < 6) throw new UserError('the password must have at least 6 characters');
		return password;
	}
	for (;;) {
		const first = await promptPassword('New coldkey password (6+ characters):', 'pass --password-file FILE');
		if (first.length < 6) {
			process.stderr.write('at least 6 characters, try again\n');
			continue;
		}
		const again = await promptPassword('Type it again:', 'pass --password-file FILE');
		if (again === first) return first;
		process.stderr.write('the passwords did not match, try again\n');
	}
}

export const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);

export {inkCanDraw, interactive, noTerminal} from '../ui/terminal.js';
const promptPassword = async (label: string, missing: string) => (await import('../ui/prompt.js')).promptPassword(label, missing);
