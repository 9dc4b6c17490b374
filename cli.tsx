#!/usr/bin/env node
// Entry: parse arguments, then run a command, the interactive setup, or explain what is missing.
// Command modules load their work lazily so --help and --version answer at once.
import './source/production.js'; // before anything can load React
import {Command, CommanderError} from 'commander';
import {addWalletCommands} from './source/wallet/command.js';
import {addChainCommands} from './source/chain/command.js';
import {addDevnetCommand} from './source/devnet/command.js';
import {addTrainCommand} from './source/training/command.js';
import {addMineCommand} from './source/miner/command.js';
import {UserError, errorMessage} from './source/errors.js';
import {packageVersion} from './source/paths.js';

const program = new Command('iota-tui')
	.description('Terminal console for IOTA miners (Bittensor subnet 9). With no command: the guided setup.')
	.version(packageVersion(), '-v, --version')
	.option('--theme <name>', 'colour theme: dark, light or none (NO_COLOR forces none; FORCE_COLOR forces colour)')
	.option('--config-dir <dir>', 'settings folder (default ~/.config/iota-tui)')
	.option('--wallet-path <dir>', 'folder holding wallets (default ~/.bittensor/wallets)')
	.option('-w, --wallet <name>', 'wallet name')
	.option('-k, --hotkey <name>', 'hotkey name')
	.option('--netuid <n>', 'subnet (default 9)')
	.enablePositionalOptions() // so subcommands own their --wallet etc.
	.allowExcessArguments(true) // reported as an unknown command by setup()
	.exitOverride()
	.action(async (opts, cmd: Command) => (await import('./source/ui/run-setup.js')).runSetup(cmd, opts));

addWalletCommands(program);
addChainCommands(program);
addDevnetCommand(program);
addTrainCommand(program);
addMineCommand(program);

try {
	await program.parseAsync(process.argv);
	process.exit(0); // open sockets (chain clients, workers) must not keep a finished command alive
} catch (error) {
	if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
	const message = errorMessage(error);
	process.stderr.write(`error: ${message}\n`);
	if (!(error instanceof UserError) && process.env.IOTA_TUI_DEBUG) console.error(error);
	process.exit(error instanceof UserError ? error.exitCode : 1);
}
