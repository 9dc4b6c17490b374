// What `iota-tui chain`, `register` and `status` do (loaded only when one of them runs).
import type {Command} from 'commander';
import {config, interactive, printJson, readPassword, walletRef, type WalletOptions} from './common.js';
import {UsageError, UserError} from '../errors.js';
import {promptConfirm, withSpinner} from '../ui/prompt.js';
import {loadColdkeyPair, readColdkeyPub, readHotkey} from '../wallet/wallet.js';
import {connectChain, formatTao} from '../chain/client.js';
import {startDevChain} from '../chain/devchain.js';
import {registrationFrom, type RegistrationFlags} from './registration-flags.js';
import {resolveNetwork} from '../chain/networks.js';

export type NetOptions = {network?: string; netuid?: number};

export function target(cmd: Command, opts: NetOptions) {
	const cfg = config(cmd);
	const network = resolveNetwork(opts.network ?? cfg.values.network, cfg.values.endpoints.devnet);
	const netuid = opts.netuid ?? cfg.values.netuid;
	return {cfg, network, netuid};
}

export async function runChain(opts: {port: number; host: string; chainSpec?: string; blockTime: number; json?: boolean} & RegistrationFlags) {
	const {port} = opts;
	const blockIntervalMs = opts.blockTime * 1000;
	const log = (line: string) => process.stderr.write(`${line}\n`);
	const chain = await startDevChain({port, host: opts.host, specPath: opts.chainSpec, blockIntervalMs, log, registration: registrationFrom(opts)});
	if (opts.json) printJson({event: 'chain_ready', chain: chain.url, netuid: chain.netuid});
	else process.stdout.write(`local Subtensor chain ready at ${chain.url} (subnet ${chain.netuid}, faucet and sudo: //Alice). Ctrl+C stops it.\n`);
	await new Promise<void>(resolve => {
		process.once('SIGINT', resolve);
		process.once('SIGTERM', resolve);
	});
	await chain.close();
	if (!opts.json) process.stdout.write('chain stopped\n');
}

export type RegisterOptions = WalletOptions & NetOptions & {passwordFile?: string; yes?: boolean; json?: boolean; faucet: boolean};

export async function register(cmd: Command, opts: RegisterOptions) {
	const {cfg, network, netuid} = target(cmd, opts);
	const ref = walletRef(opts, cfg);
	const coldkeyAddress = (await readColdkeyPub(ref)).ss58Address;
	const hotkey = (await readHotkey(ref)).ss58Address!;
	const chain = await connectChain(network.url);
	try {
		const existing = await chain.getUid(netuid, hotkey);
		if (existing !== null) return done({uid: existing, alreadyRegistered: true});
		if (!(await chain.subnetExists(netuid))) throw new UserError(`subnet ${netuid} does not exist on ${network.url}`);
		const devnet = await chain.isDevnet();
		if (devnet && opts.faucet && (await withSpinner('checking the devnet balance', () => chain.topUpForRegistration(coldkeyAddress, netuid)))) {
			process.stderr.write('funding the coldkey from the devnet faucet: done\n');
		}
		const [burn, balance] = await Promise.all([chain.burn(netuid), chain.balance(coldkeyAddress)]);
		if (!opts.json) {
			process.stderr.write(`network ${network.name} (${network.url})${devnet ? ' [local devnet]' : ''}\ncoldkey ${coldkeyAddress} balance ${formatTao(balance)}\nhotkey  ${hotkey}\nburn cost on subnet ${netuid}: ${formatTao(burn)}\n`);
		}
		if (!opts.yes) {
			if (!interactive()) throw new UsageError(`registering burns ${formatTao(burn)}: pass --yes to confirm without a terminal`);
			if (!(await promptConfirm(`Burn ${formatTao(burn)} to register on subnet ${netuid}?`, 'pass --yes'))) throw new UserError('registration cancelled');
		}
		const password = await readPassword(opts, 'Coldkey password');
		const coldkey = await withSpinner('unlocking the coldkey', () => loadColdkeyPair(ref, password));
		const result = await withSpinner(`registering on subnet ${netuid}`, () => chain.burnedRegister(coldkey, hotkey, netuid));
		return done(result);
	} finally {
		await chain.close();
	}

	function done(r: {uid: number; alreadyRegistered: boolean}) {
		if (opts.json) printJson({hotkey, netuid, uid: r.uid, already_registered: r.alreadyRegistered, network: network.url});
		else process.stdout.write(`${r.alreadyRegistered ? 'already registered' : 'registered'} on subnet ${netuid}: uid ${r.uid}\n`);
	}
}

export async function status(cmd: Command, opts: WalletOptions & NetOptions & {json?: boolean; dataDir?: string}) {
	const {cfg, network, netuid} = target(cmd, opts);
	const ref = walletRef(opts, cfg);
	const hotkey = (await readHotkey(ref)).ss58Address!;
	const coldkey = await readColdkeyPub(ref).then(p => p.ss58Address, () => null);
	const chain = await connectChain(network.url);
	try {
		const [neuron, burn, balance, devnet] = await Promise.all([
			chain.neuron(netuid, hotkey), chain.burn(netuid), coldkey ? chain.balance(coldkey) : Promise.resolve(null), chain.isDevnet(),
		]);
		const miner = await runningMiner(hotkey, opts.dataDir);
		// The orchestrator `mine` would use on this network (config overrides included), and its protocol.
		const profile = await (await import('./profiles.js')).resolveMinerProfile({network: opts.network}, cfg.values);
		const out = {
			...neuron, network: network.url, devnet, coldkey, coldkey_balance: balance?.toString() ?? null, burn: burn.toString(),
			orchestrator: profile.orchestratorUrl, protocol: profile.protocol, miner,
		};
		if (opts.json) {
			printJson(out);
			return;
		}
		const lines: [string, unknown][] = [
			['network', `${network.name} ${network.url}${devnet ? ' [local devnet]' : ''}`],
			['orchestrator', `${profile.orchestratorUrl ?? '- (mine needs --orchestrator URL)'} (protocol ${profile.protocol})`], ['hotkey', hotkey], ['coldkey', coldkey ?? '(no coldkeypub.txt)'],
			['balance', balance === null ? '-' : formatTao(balance)], ['subnet', netuid], ['registered', neuron.registered ? `yes, uid ${neuron.uid}` : 'no'],
			['burn cost', formatTao(burn)], ['stake', `${formatTao(BigInt(neuron.stake))} (alpha)`], ['incentive', neuron.incentive], ['emission', neuron.emission],
			['trust', neuron.trust], ['consensus', neuron.consensus], ['last update', neuron.lastUpdate], ['axon', neuron.axon ? `${neuron.axon.ip}:${neuron.axon.port}` : '-'],
			['block', neuron.block],
		];
		if (miner) lines.push(['miner', `${miner.status}${miner.protocol ? ` · ${miner.protocol}${miner.run_id ? ` run ${miner.run_id}` : ''}` : ''} · layer ${miner.layer ?? '-'} · epoch ${miner.epoch} · ${miner.backwards_since_merge} backward passes since merge${miner.waiting_for ? ` · waiting for ${miner.waiting_for}` : ''}`]);
		for (const [k, v] of lines) process.stdout.write(`${k.padEnd(12)} ${v ?? '-'}\n`);
		if (!neuron.registered) process.stdout.write('next: `iota-tui register` registers this hotkey\n');
	} finally {
		await chain.close();
	}
}

// A miner running on this machine for the hotkey (its status file is fresh), else null.
async function runningMiner(hotkey: string, dataDir?: string) {
	const [{readStatusFile}, {minerStatusFile, defaultMinerDataDir}, {defaultDataDir}] = await Promise.all([
		import('../ui/health.js'), import('./mine.js'), import('../paths.js'),
	]);
	const snap = readStatusFile(minerStatusFile(dataDir ?? defaultMinerDataDir(defaultDataDir()), hotkey));
	if (!snap) return null;
	const s = snap.state;
	return {
		status: s.status, orchestrator: s.orchestratorUrl, protocol: s.protocol, run_id: s.runId, layer: s.layer, layers: s.layers, epoch: s.epoch, phase: s.phase, waiting_for: s.waitingFor,
		backwards_since_merge: s.backwardsSinceMerge, batches_before_merging: s.settings?.batchesBeforeMerging ?? null,
		queue: s.queue, score: s.score, last_loss: s.losses.at(-1) ?? null, updated_at: new Date(snap.writtenAt).toISOString(),
	};
}
