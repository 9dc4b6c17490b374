#!/usr/bin/env node
// Entry: parse arguments, then run a command, the interactive setup, or explain what is missing.
import React from 'react';
import {Command, CommanderError} from 'commander';
import {render} from 'ink';
import {addWalletCommands} from './source/wallet/command.js';
import {addChainCommands} from './source/chain/command.js';
import {addDevnetCommand} from './source/devnet/command.js';
import {addTrainCommand} from './source/training/command.js';
import {config, globals, interactive, walletRef} from './source/cli-common.js';
import {UserError, errorMessage} from './source/errors.js';
import {packageVersion} from './source/paths.js';
import {loadTheme, ThemeContext} from './source/ui/theme.js';
import {Wizard} from './source/ui/Wizard.js';
import {makeSetupServices} from './source/miner/setup-services.js';
import {readColdkeyPub, readHotkey, walletExists} from './source/wallet/wallet.js';

async function setup(cmd: Command, opts: {walletPath?: string; wallet?: string; hotkey?: string; netuid?: string}) {
	const cfg = config(cmd);
	const ref = walletRef(opts, cfg);
	const theme = loadTheme(globals(cmd).theme ?? cfg.values.theme);
	const present = await walletExists(ref);
	if (!interactive()) {
		const missing = !present.coldkey
			? `no wallet "${ref.name}" in ${ref.path}: run \`iota-tui wallet create --password-file FILE --no-prompt\``
			: !present.hotkey
				? `no hotkey "${ref.hotkey}": run \`iota-tui wallet create --wallet ${ref.name} --hotkey ${ref.hotkey} --no-prompt\``
				: `wallet ready: run \`iota-tui register --password-file FILE --yes\` then \`iota-tui status\``;
		throw new UserError(`no terminal for the interactive setup; ${missing} (see --help)`, 2);
	}
	const netuid = opts.netuid === undefined ? cfg.values.netuid : Number(opts.netuid);
	const info = {
		wallet: ref.name, hotkey: ref.hotkey, walletPath: ref.path, netuid, hasColdkey: present.coldkey, hasHotkey: present.hotkey,
		coldkeyAddress: present.coldkey ? await readColdkeyPub(ref).then(p => p.ss58Address, () => null) : null,
		hotkeyAddress: present.hotkey ? await readHotkey(ref).then(p => p.ss58Address ?? null, () => null) : null,
		network: cfg.has('network') ? cfg.values.network : null,
	};
	const services = makeSetupServices({wallet: ref, netuid, devnetUrl: cfg.values.endpoints.devnet, saveNetwork: n => cfg.set('network', n)});
	const app = render(
		<ThemeContext.Provider value={theme}>
			<Wizard info={info} services={services} />
		</ThemeContext.Provider>,
	);
	await app.waitUntilExit();
	await services.close();
}

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
	.exitOverride()
	.action(async (opts, cmd: Command) => setup(cmd, opts));

addWalletCommands(program);
addChainCommands(program);
addDevnetCommand(program);
addTrainCommand(program);

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
