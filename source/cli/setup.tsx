// `iota-tui` with no command: the interactive first-run setup, or what is missing without a TTY.
import React from 'react';
import {dirname} from 'node:path';
import type {Command} from 'commander';
import {render} from 'ink';
import {config, globals, interactive, noTerminal, walletRef} from './common.js';
import {UsageError, UserError} from '../errors.js';
import {makeSetupServices} from '../setup/services.js';
import {wishFile} from '../chain/auto-register.js';
import {readColdkeyPub, readHotkey, walletExists} from '../wallet/wallet.js';
import {loadTheme, ThemeContext} from '../ui/theme.js';
import {Wizard, type WizardExit} from '../setup/Wizard.js';
import type {SetupState} from '../setup/state.js';

export async function runSetup(cmd: Command, opts: {walletPath?: string; wallet?: string; hotkey?: string; netuid?: number}) {
	if (cmd.args.length > 0) throw new UsageError(`unknown command '${cmd.args[0]}' (see iota-tui --help)`);
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
		throw new UserError(`${noTerminal('for the interactive setup')}; ${missing} (see --help)`, 2);
	}
	const netuid = opts.netuid ?? cfg.values.netuid;
	const info = {
		wallet: ref.name, hotkey: ref.hotkey, walletPath: ref.path, netuid, hasColdkey: present.coldkey, hasHotkey: present.hotkey,
		coldkeyAddress: present.coldkey ? await readColdkeyPub(ref).then(p => p.ss58Address, () => null) : null,
		hotkeyAddress: present.hotkey ? await readHotkey(ref).then(p => p.ss58Address ?? null, () => null) : null,
		network: cfg.has('network') ? cfg.values.network : null,
	};
	const configDir = dirname(cfg.path);
	// Before mining, the same checks as `iota-tui doctor --network N` (loaded only when the wizard gets there).
	const doctor = async (network: string) => {
		const [{doctorTarget}, {runDoctor}] = await Promise.all([import('./doctor-actions.js'), import('../doctor/run.js')]);
		return runDoctor(await doctorTarget(cmd, {walletPath: ref.path, wallet: ref.name, hotkey: ref.hotkey, network, netuid}));
	};
	const services = makeSetupServices({wallet: ref, netuid, devnetUrl: cfg.values.endpoints.devnet, saveNetwork: n => cfg.set('network', n), configDir, doctor});
	let next: {state: SetupState; choice: WizardExit} | null = null;
	const app = render(
		<ThemeContext.Provider value={theme}>
			<Wizard info={info} services={services} wishFile={wishFile(configDir)} onExit={(state, choice) => (next = {state, choice})} />
		</ThemeContext.Provider>,
	);
	await app.waitUntilExit();
	await services.close();
	const done = next as {state: SetupState; choice: WizardExit} | null;
	if (done?.choice === 'mine' && done.state.network) {
		const {runMinerCli} = await import('./mine.js');
		await runMinerCli({walletPath: ref.path, wallet: ref.name, hotkey: ref.hotkey, network: done.state.network, netuid, theme: globals(cmd).theme, configDir: globals(cmd).configDir});
	}
}

