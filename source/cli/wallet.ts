// `iota-tui wallet create|import|list|show`: definitions only; the work loads on use.
import type {Command} from 'commander';
import {addWalletOptions, intArg, passwordOption, type WalletOptions} from './options.js';
import type {CreateOptions, ImportOptions} from './wallet-actions.js';

const actions = () => import('./wallet-actions.js');

export function addWalletCommands(program: Command): void {
	const wallet = program.command('wallet').description('create, import and inspect btcli-compatible wallets');
	const common = (c: Command) => addWalletOptions(c)
		.addOption(passwordOption())
		.option('--no-prompt', 'never ask questions (needs --password-file)')
		.option('--overwrite', 'replace existing keys (asks first unless --yes)')
		.option('-y, --yes', 'confirm --overwrite without asking')
		.option('--json', 'print {"coldkey", "hotkey"} as JSON');
	common(wallet.command('create'))
		.description('create a new coldkey (encrypted) and hotkey; an existing coldkey gets just a new hotkey')
		.option('--words <n>', 'mnemonic length: 12, 15, 18, 21 or 24', intArg(12, 24), 12)
		.option('--mnemonic-file <file>', 'also save the new mnemonics to this file (mode 0600, never overwritten)')
		.action(async (opts: CreateOptions, cmd: Command) => (await actions()).create(cmd, opts));
	common(wallet.command('import'))
		.description('import a coldkey from its mnemonic (and a hotkey from another, or a new one)')
		.option('--mnemonic-file <file>', 'file holding the coldkey mnemonic')
		.option('--hotkey-mnemonic-file <file>', 'file holding the hotkey mnemonic (default: a new hotkey)')
		.action(async (opts: ImportOptions, cmd: Command) => (await actions()).importWallet(cmd, opts));
	addWalletOptions(wallet.command('list'))
		.description('list wallets and their hotkeys')
		.option('--json', 'print JSON')
		.action(async (opts, cmd: Command) => {
			await (await actions()).list(cmd, opts as WalletOptions);
		});
	addWalletOptions(wallet.command('show'))
		.description("show a wallet's public keys (never secrets)")
		.option('--json', 'print JSON')
		.action(async (opts, cmd: Command) => {
			await (await actions()).show(cmd, opts as WalletOptions);
		});
}
