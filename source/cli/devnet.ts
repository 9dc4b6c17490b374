// `iota-tui devnet`: chain, object store and orchestrator on 127.0.0.1 with one log; Ctrl+C
// (SIGINT) or SIGTERM stops all three and exits 0. `--json` prints NDJSON events, among them
// {"event": "devnet_ready", "chain": "ws://...", "store": "http://...", "orchestrator": "http://..."}.
import {readFileSync, rmSync} from 'node:fs';
import {Command, Option} from 'commander';
import {intArg, numberArg, portArg} from './options.js';
import {addRegistrationFlags, registrationFrom, type RegistrationFlags} from './registration-flags.js';
import {UserError, errorMessage} from '../errors.js';
import {canonicalJson, pyString} from '../orchestrator/canonical-json.js';
import {defaultSettings, resolveSettings, type OrchestratorSettingsInput} from '../orchestrator/settings.js';
import {defaultDataDir} from '../paths.js';
import {DEVNET_DEFAULT_PROTOCOL} from '../chain/networks.js';
import type {CurrentDevnet, Devnet, DevnetProtocol} from '../devnet/devnet.js';
import type {CurrentSettingsInput} from '../devnet/current/settings.js';

const num = (kind: 'int' | 'float' | 'share') => (kind === 'int' ? intArg() : numberArg(kind === 'float' ? 'positive' : 'share'));

/** Flag name -> settings key, with the parser and help for each. */
const SETTING_FLAGS: [flag: string, key: keyof ReturnType<typeof defaultSettings>, kind: 'int' | 'float' | 'share', help: string][] = [
	['--layers <n>', 'layers', 'int', 'pipeline stages (layers) miners are spread over'],
	['--batches-before-merging <n>', 'batches_before_merging', 'int', 'BATCHES_BEFORE_MERGING: backward passes a miner needs since the last merge before weights are collected'],
	['--upload-threshold <share>', 'upload_threshold', 'share', 'share of miners with enough backward passes that starts weights_uploading'],
	['--merge-threshold <share>', 'merge_threshold', 'share', "share of a layer's eligible miners that must submit weights to start merging"],
	['--partitions-threshold <share>', 'partitions_threshold', 'share', 'share of sections that must be merged (strictly more) to return to training'],
	['--phase-timeout <s>', 'phase_timeout_s', 'float', 'seconds before a layer stuck outside training is returned to training'],
	['--activation-timeout <s>', 'activation_timeout_s', 'float', 'seconds before a handed-out activation goes back to the pool'],
	['--cache-limit <n>', 'cache_limit', 'int', 'activations a miner may hold while awaiting their backward pass'],
	['--rate-limit <per-s>', 'rate_limit_per_s', 'float', 'requests per second per hotkey per endpoint (429 beyond)'],
	['--rate-limit-random <per-s>', 'rate_limit_random_per_s', 'float', 'requests per second per hotkey for /storage/activations/random'],
	['--signature-skew <ms>', 'signature_max_skew_ms', 'int', 'largest Epistula timestamp skew accepted, in ms (stale requests get 401)'],
];

type DevnetFlags = {
	headless?: boolean;
	json?: boolean;
	host: string;
	port: number;
	chainPort: number;
	storePort: number;
	dataDir: string;
	reset?: boolean;
	config?: string;
	blockTime: number;
	miners?: number;
	minerModel?: string;
	minerBackend?: string;
	protocol: DevnetProtocol;
} & RegistrationFlags & Record<string, unknown>;

/** v1 setting flags that mean the same for the current protocol's orchestrator (same key). */
const SHARED_WITH_CURRENT = new Set(['batches_before_merging', 'upload_threshold', 'merge_threshold', 'partitions_threshold', 'phase_timeout_s', 'activation_timeout_s', 'rate_limit_per_s']);

export function addDevnetCommand(program: Command): void {
	const d = defaultSettings();
	const cmd = program
		.command('devnet')
		.description('run a local devnet: Subtensor chain with subnet 9, S3-compatible object store and an IOTA orchestrator (the current protocol, or v1 with --protocol v1), all on 127.0.0.1')
		.option('--headless', 'no interactive screen: log lines only (for CI and scripts)')
		.option('--json', 'print NDJSON events (implies --headless); one line {"event": "devnet_ready", ...} once all three accept connections')
		.addOption(new Option('--protocol <name>', 'orchestrator protocol: v1 (IOTA spec 4065) or current (spec 30017, with the bridge registry at /bridge)').choices(['v1', 'current']).default(DEVNET_DEFAULT_PROTOCOL))
		.option('--host <ip>', 'address all three listen on', '127.0.0.1')
		.option('--port <n>', 'orchestrator HTTP port (0 = any free port)', portArg, 8010)
		.option('--chain-port <n>', 'chain WebSocket port (0 = any free port)', portArg, 9944)
		.option('--store-port <n>', 'object store HTTP port (0 = any free port)', portArg, 9010)
		.option('--data-dir <dir>', 'where orchestrator state (SQLite) and stored objects live', defaultDataDir())
		.option('--reset', 'delete the data dir first (start from an empty orchestrator and store)')
		.option('--config <file>', 'JSON file with orchestrator settings (snake_case keys as GET /orchestrator/settings shows); flags win')
		.option('--block-time <seconds>', 'build an empty block this often so chain time (tempos, weights, incentive) moves; 0: only on transactions', numberArg('non-negative'), 12)
		.option('--miners <n>', 'also start n headless miners (own processes, own wallets under --data-dir, registered on the local chain); their NDJSON joins --json', num('int'))
		.option('--miner-model <config>', 'model config for --miners (stages must equal --layers; default devnet)')
		.option('--miner-backend <name>', 'training backend for --miners (default auto)');
	for (const [flag, key, kind, help] of SETTING_FLAGS) {
		cmd.addOption(new Option(flag, `${help} (default ${String(d[key])})`).argParser(num(kind)));
	}
	addRegistrationFlags(cmd);
	cmd.addHelpText('after', '\nMiners reach the orchestrator at the printed URL; every request is Epistula-signed by a hotkey registered on subnet 9 of the devnet chain.\nStop with Ctrl+C (or SIGTERM): all three stop and the command exits 0. State in --data-dir survives restarts.');
	cmd.action(async (flags: DevnetFlags) => runDevnet(flags));
}

function settingsFrom(flags: DevnetFlags): OrchestratorSettingsInput {
	let fromFile: Record<string, unknown> = {};
	if (flags.config) {
		try {
			fromFile = JSON.parse(readFileSync(flags.config, 'utf8')) as Record<string, unknown>;
		} catch (error) {
			throw new UserError(`cannot read --config ${flags.config}: ${errorMessage(error)}`, 2);
		}
	}
	const merged: Record<string, unknown> = {...fromFile};
	for (const [flag, key] of SETTING_FLAGS) {
		const prop = flag.slice(2).split(' ')[0]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
		if (flags[prop] !== undefined) merged[key] = flags[prop];
	}
	try {
		return resolveSettings(merged as OrchestratorSettingsInput);
	} catch (error) {
		throw new UserError(errorMessage(error), 2);
	}
}

/** The current orchestrator's settings: --config (its own keys) plus the setting flags it shares with v1. */
async function currentSettingsFrom(flags: DevnetFlags): Promise<CurrentSettingsInput> {
	let merged: Record<string, unknown> = {};
	if (flags.config) {
		try {
			merged = JSON.parse(readFileSync(flags.config, 'utf8')) as Record<string, unknown>;
		} catch (error) {
			throw new UserError(`cannot read --config ${flags.config}: ${errorMessage(error)}`, 2);
		}
	}
	for (const [flag, key] of SETTING_FLAGS) {
		const prop = flag.slice(2).split(' ')[0]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
		if (flags[prop] === undefined) continue;
		if (!SHARED_WITH_CURRENT.has(key)) throw new UserError(`${flag.split(' ')[0]} is a v1 orchestrator setting: not available with --protocol current`, 2);
		merged[key] = flags[prop];
	}
	const {resolveCurrentSettings} = await import('../devnet/current/settings.js');
	try {
		return resolveCurrentSettings(merged as CurrentSettingsInput);
	} catch (error) {
		throw new UserError(errorMessage(error), 2);
	}
}

async function runDevnet(flags: DevnetFlags): Promise<void> {
	const json = Boolean(flags.json);
	const emit = (line: string) => process.stdout.write(`${line}\n`);
	const log = (line: string) => (json ? emit(`{"event": "log", "line": ${pyString(line)}}`) : emit(line));
	const current = flags.protocol === 'current';
	const settings = current ? undefined : settingsFrom(flags);
	const currentSettings = current ? await currentSettingsFrom(flags) : undefined;
	if (flags.reset) rmSync(flags.dataDir, {recursive: true, force: true});
	let devnet: Devnet | CurrentDevnet;
	try {
		devnet = await (await import('../devnet/devnet.js')).startDevnet({
			dataDir: flags.dataDir,
			host: flags.host,
			port: flags.port,
			chainPort: flags.chainPort,
			storePort: flags.storePort,
			blockIntervalMs: flags.blockTime * 1000,
			registration: registrationFrom(flags),
			protocol: flags.protocol,
			settings,
			currentSettings,
			log,
		});
	} catch (error) {
		if (error instanceof UserError) throw error;
		const inUse = /EADDRINUSE.*:(\d+)/.exec(errorMessage(error));
		if (inUse) throw new UserError(`devnet failed to start: port ${inUse[1]} is in use (pick another with --port/--chain-port/--store-port, or 0 for any free port)`);
		throw new UserError(`devnet failed to start: ${errorMessage(error)}`);
	}
	if (json) {
		emit(`{"event": "devnet_ready", "chain": ${pyString(devnet.chain)}, "store": ${pyString(devnet.store)}, "orchestrator": ${pyString(devnet.orchestrator)}}`);
		emit(`{"event": "devnet_settings", "settings": ${canonicalJson(devnet.settings)}}`);
	} else {
		emit(`devnet ready (data in ${devnet.dataDir})`);
		emit(`  chain         ${devnet.chain}  (netuid ${devnet.netuid})`);
		emit(`  store         ${devnet.store}`);
		const what = devnet.protocol === 'current'
			? `current protocol, run ${devnet.settings.run_id}, ${devnet.settings.model} model, BATCHES_BEFORE_MERGING ${devnet.settings.batches_before_merging}; bridge at ${devnet.orchestrator}/bridge`
			: `${devnet.settings.layers} layers, BATCHES_BEFORE_MERGING ${devnet.settings.batches_before_merging}`;
		emit(`  orchestrator  ${devnet.orchestrator}  (${what})`);
		emit('Press Ctrl+C to stop.');
	}
	let miners: {stop(): Promise<void>} | null = null;
	let minersStarting: Promise<unknown> = Promise.resolve();
	const stopped = new Promise<void>(resolve => {
		let stopping = false;
		const stop = (signal: string) => {
			if (stopping) return;
			stopping = true;
			log(`devnet: ${signal}, stopping`);
			void minersStarting
				.then(() => miners?.stop())
				.finally(() => devnet.close())
				.finally(() => {
					if (json) emit('{"event": "devnet_stopped"}');
					resolve();
				});
		};
		process.once('SIGINT', () => stop('SIGINT'));
		process.once('SIGTERM', () => stop('SIGTERM'));
	});
	if (flags.miners) {
		minersStarting = import('../devnet/miners.js')
			.then(m => m.startDevnetMiners({count: flags.miners!, chainUrl: devnet.chain, orchestratorUrl: devnet.orchestrator, netuid: devnet.netuid, dataDir: devnet.dataDir, json, emit, log, model: flags.minerModel, backend: flags.minerBackend, protocol: flags.protocol}))
			.then(m => (miners = m))
			.catch(error => log(`devnet: miners failed to start: ${errorMessage(error)}`));
	}
	await stopped;
	process.exit(0);
}
