// Option builders shared by command definitions (kept free of heavy imports: --help stays fast).
import {Option, type Command} from 'commander';

export type WalletOptions = {walletPath?: string; wallet?: string; hotkey?: string};

export function addWalletOptions(cmd: Command): Command {
	return cmd
		.option('--wallet-path <dir>', 'folder holding wallets (default: config walletPath, ~/.bittensor/wallets)')
		.option('-w, --wallet <name>', 'wallet name (default: config wallet, "default")')
		.option('-k, --hotkey <name>', 'hotkey name (default: config hotkey, "default")');
}

export const passwordOption = () => new Option('--password-file <file>', 'read the coldkey password from this file (first line)');
