// What `iota-tui doctor` does (loaded only when it runs): resolve the targets as `mine` would, run the checks, print.
import type {Command} from 'commander';
import {config, printJson, walletRef} from './common.js';
import type {WalletOptions} from './options.js';
import {resolveMinerProfile} from './profiles.js';
import {defaultMinerDataDir} from './mine.js';
import {UsageError, UserError} from '../errors.js';
import {defaultDataDir} from '../paths.js';
import {parseBackend} from '../training/backend-names.js';
import {getConfig} from '../training/config.js';
import {runDoctor, type DoctorTarget} from '../doctor/run.js';
import {blockingFailures, doctorJson, doctorText} from '../doctor/report.js';

export type DoctorFlags = WalletOptions & {
	network?: string;
	orchestrator?: string;
	protocol?: 'current' | 'v1';
	netuid?: number;
	model?: string;
	backend?: string;
	dataDir?: string;
	store?: string;
	timeout?: number;
	json?: boolean;
};

/** The local devnet's object store (`iota-tui devnet --store-port` default). */
const DEVNET_STORE = 'http://127.0.0.1:9010';

/** The targets `mine` would use for these flags (the wizard's doctor step uses it too). */
export async function doctorTarget(cmd: Command, flags: DoctorFlags): Promise<DoctorTarget> {
	const cfg = config(cmd);
	let backend;
	try {
		backend = parseBackend(flags.backend ?? 'auto');
	} catch (error) {
		throw new UsageError((error as Error).message);
	}
	const model = getConfig(flags.model ?? 'devnet');
	const profile = await resolveMinerProfile(flags, cfg.values);
	return {
		chainUrl: profile.url,
		local: profile.local,
		netuid: flags.netuid ?? cfg.values.netuid,
		orchestratorUrl: profile.orchestratorUrl,
		protocol: profile.protocol,
		storeUrl: flags.store ?? (profile.devnetOnly ? DEVNET_STORE : null),
		wallet: walletRef(flags, cfg),
		model,
		backend,
		dataDir: flags.dataDir ?? defaultMinerDataDir(defaultDataDir()),
		timeoutMs: flags.timeout,
	};
}

export async function doctor(cmd: Command, flags: DoctorFlags): Promise<void> {
	const checks = await runDoctor(await doctorTarget(cmd, flags));
	if (flags.json) printJson(doctorJson(checks));
	else process.stdout.write(doctorText(checks));
	const blocked = blockingFailures(checks);
	if (blocked.length) throw new UserError(`doctor: ${blocked.map(c => c.name).join(', ')} failed`, 1);
}
