#!/usr/bin/env node
// Entry: parse arguments, then run a command, the interactive setup, or explain what is missing.
// Command modules load their work lazily so --help and --version answer at once.
import './source/production.js'; // before anything can load React
import './source/node-check.js'; // before anything else runs: on an old Node, one line and out
import './source/output-log.js'; // before anything writes
import {Command, CommanderError} from 'commander';
import {addWalletCommands} from './source/cli/wallet.js';
import {addChainCommands} from './source/cli/chain.js';
import {addDevnetCommand} from './source/cli/devnet.js';
import {addTrainCommand} from './source/cli/train.js';
import {addMineCommand} from './source/cli/mine.js';
import {addModelCommands} from './source/cli/model.js';
import {addDoctorCommand} from './source/cli/doctor.js';
import {UserError, errorMessage} from './source/errors.js';
import {packageVersion} from './source/paths.js';
import {netuidOption} from './source/cli/options.js';

const program = new Command('iota-tui')
	.description('Terminal console for IOTA miners (Bittensor subnet 9). With no command: the guided setup.')
	.version(packageVersion(), '-v, --version')
	.option('--theme <name>', 'colour theme: dark, light or none (NO_COLOR forces none; FORCE_COLOR forces colour)')
	.option('--config-dir <dir>', 'settings folder (default ~/.config/iota-tui)')
	.option('--wallet-path <dir>', 'folder holding wallets (default ~/.bittensor/wallets)')
	.option('-w, --wallet <name>', 'wallet name')
	.option('-k, --hotkey <name>', 'hotkey name')
	.addOption(netuidOption())
	.enablePositionalOptions() // so subcommands own their --wallet etc.
	.allowExcessArguments(true) // reported as an unknown command by setup()
	.exitOverride()
	.action(async (opts, cmd: Command) => (await import('./source/cli/setup.js')).runSetup(cmd, opts));

addWalletCommands(program);
addChainCommands(program);
addDevnetCommand(program);
addTrainCommand(program);
addMineCommand(program);
addModelCommands(program);
addDoctorCommand(program);

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
