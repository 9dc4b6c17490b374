// `iota-tui mine`: join the swarm with a registered hotkey, train the assigned layer, merge. The
// dashboard when stdout is a terminal, plain timestamped lines with --headless or no TTY, NDJSON
// with --json. Ctrl+C / SIGTERM stop cleanly: pending uploads are drained or kept on disk.
// Definitions only here; the work loads on use so --help stays fast.
import {join} from 'node:path';
import {Option, type Command} from 'commander';
import {addWalletOptions, intArg, netuidOption, passwordOption, taoArg, type WalletOptions} from './options.js';
import type {MinerStore} from '../miner/types.js';

export type MineFlags = WalletOptions & {
	network?: string;
	orchestrator?: string;
	protocol?: 'current' | 'v1';
	netuid?: number;
	backend?: string;
	threads?: number;
	model?: string;
	headless?: boolean;
	json?: boolean;
	dataDir?: string;
	healthPort?: number;
	healthHost?: string;
	localSteps?: number;
	storeHost?: string[];
	corpus?: string;
	tokenizer?: string;
	auto?: boolean;
	maxBurn?: bigint;
	passwordFile?: string;
};

export function addMineCommand(program: Command): void {
	addWalletOptions(program.command('mine'))
		.description('mine: register with the orchestrator, train the assigned layer, upload, merge; live dashboard (or --headless / --json)')
		.option('-n, --network <name|url>', 'chain: devnet (local), test, finney or a ws:// URL (default: config network)')
		.option('--orchestrator <url>', 'orchestrator URL (default: config endpoints.orchestrator, else the network\'s: finney https://iota.api.macrocosmos.ai, test https://iota-branch-main.api.macrocosmos.ai, devnet http://127.0.0.1:8010)')
		.addOption(new Option('--protocol <name>', 'miner protocol: current (spec 30017) or v1 (default: config endpoints.protocol, else the network\'s: current on finney, test and ws:// URLs; on the devnet what it serves)').choices(['current', 'v1']))
		.addOption(netuidOption())
		.option('--backend <name>', 'training backend: auto, cuda, webgpu, node, wasm or cpu', 'auto')
		.option('--threads <n>', 'CPU threads for the wasm backend (default: IOTA_TUI_THREADS, else every core; 1 = one thread)', intArg(1, 8))
		.option('--model <config>', 'model config whose stages match the orchestrator layers (devnet, tiny)', 'devnet')
		.option('--headless', 'no dashboard: plain timestamped lines (also when stdout is not a terminal)')
		.option('--json', 'print NDJSON events (implies --headless)')
		.option('--data-dir <dir>', 'where the persistent upload queue lives (default ~/.local/share/iota-tui/miner)')
		.option('--health-port <n>', 'serve GET /health ({status, hotkey, layer, uid, registered, timestamp}) on this port', intArg(1, 65535))
		.option('--health-host <ip>', 'address for --health-port', '127.0.0.1')
		.option('--store-host <host...>', 'hosts presigned transfer URLs may point at besides the orchestrator\'s and those its settings name (store_hosts)')
		.option('--local-steps <n>', 'optimizer step every n backward passes (default: once per merge, as IOTA v1)', intArg(1, 1_000_000))
		.option('--corpus <path>', 'text file or folder the head stage (layer 0) samples from (default: /usr/share/common-licenses)')
		.option('--tokenizer <file>', 'Llama-3 tokenizer.json for the head stage (128,256 ids; the model config must have that vocabulary)')
		.option('--auto', 'with no uid (at start, or after being pruned): register when the window is open and the burn is at most --max-burn; unlocks the coldkey once')
		.addOption(new Option('--max-burn <tao>', 'with --auto: the most TAO to burn per registration (default: a saved `register --auto` wish)').argParser(taoArg))
		.addOption(passwordOption())
		.addHelpText('after', '\nThe hotkey must be registered on the subnet first (`iota-tui register`), or pass --auto --max-burn TAO. q or Ctrl+C stops; uploads not finished stay on disk and resume on the next start.')
		.action(async (flags: MineFlags, cmd: Command) => runMinerCli({...flags, theme: (cmd.optsWithGlobals() as {theme?: string}).theme, configDir: (cmd.optsWithGlobals() as {configDir?: string}).configDir}));
}

/** Where a running miner keeps its status snapshot (read by `iota-tui status`). */
export const minerStatusFile = (dataDir: string, hotkey: string) => join(dataDir, `status-${hotkey}.json`);
export const defaultMinerDataDir = (devnetDataDir: string) => join(devnetDataDir, '..', 'miner');

export type RunMinerOptions = MineFlags & {theme?: string; configDir?: string};

/** Runs a miner until it is stopped; the no-command wizard calls this after setup. */
export async function runMinerCli(opts: RunMinerOptions): Promise<void> {
	const [{loadConfig}, {walletRef, inkCanDraw}, {resolveMinerProfile, minerProfileOptions}, {UsageError, UserError}, {loadHotkeyPair}, {parseBackend}, {createMinerStore}, {startMiner}, {defaultDataDir}] = await Promise.all([
		import('../config.js'),
		import('./common.js'),
		import('./profiles.js'),
		import('../errors.js'),
		import('../wallet/wallet.js'),
		import('../training/backend-names.js'),
		import('../miner/store.js'),
		import('../miner/runtime.js'),
		import('../paths.js'),
	]);
	const cfg = loadConfig(opts.configDir);
	const ref = walletRef(opts, cfg);
	if (opts.protocol !== undefined && opts.protocol !== 'current' && opts.protocol !== 'v1') throw new UsageError(`--protocol must be current or v1, got "${String(opts.protocol)}"`);
	const net = await resolveMinerProfile(opts, cfg.values);
	const orchestratorUrl = net.orchestratorUrl;
	if (!orchestratorUrl) throw new UsageError(`no orchestrator URL for network ${net.name} (${net.url}): pass --orchestrator URL`);
	if (!/^https?:\/\/\S+$/.test(orchestratorUrl)) throw new UsageError(`--orchestrator must be an http(s) URL, got "${orchestratorUrl}"`);
	const netuid = opts.netuid ?? cfg.values.netuid;
	let backend;
	try {
		backend = parseBackend(opts.backend ?? 'auto');
	} catch (error) {
		throw new UsageError((error as Error).message);
	}
	// The training worker reads it when it starts.
	if (opts.threads !== undefined) process.env.IOTA_TUI_THREADS = String(opts.threads);
	if (opts.corpus && !(await import('node:fs')).existsSync(opts.corpus)) throw new UsageError(`--corpus ${opts.corpus} not found: pass a text file or a folder of text files`);
	// Checked before anything starts: a wrong tokenizer file is a one-line error, not a crash on the first sample.
	const tokenizer = opts.tokenizer ? await (await import('../training/llama-tokenizer.js')).loadLlamaTokenizer(opts.tokenizer) : undefined;
	const {getConfig} = await import('../training/config.js');
	const model = getConfig(opts.model ?? 'devnet');
	if (tokenizer && tokenizer.vocabSize !== model.vocabSize) throw new UsageError(`--tokenizer has ${tokenizer.vocabSize} ids but --model ${model.name} a ${model.vocabSize}-token vocabulary: pick a model with the tokenizer's vocabulary (iota-1b, iota-15b) or leave --tokenizer out`);
	const hotkeyPair = await loadHotkeyPair(ref);
	const autoRegister = await (await import('./mine-auto.js')).autoRegisterOption(opts, cfg.path, {network: net.url, netuid, ref});
	const store = createMinerStore();
	const headless = Boolean(opts.headless || opts.json || !process.stdout.isTTY || !inkCanDraw());
	if (!opts.headless && !opts.json && process.stdout.isTTY && !inkCanDraw()) process.stderr.write('CI is set, so the dashboard cannot draw: logging plain lines instead (unset CI for the dashboard)\n');
	const dataDir = opts.dataDir ?? defaultMinerDataDir(defaultDataDir());

	let stopView: () => void = () => {};
	if (headless) {
		const {startHeadless} = await import('../ui/headless.js');
		stopView = startHeadless(store, {json: Boolean(opts.json), out: process.stdout, hotkey: hotkeyPair.address});
	}
	const {startHealthServer, writeStatusFile} = await import('../ui/health.js');
	const health = opts.healthPort ? await startHealthServer(store, {port: opts.healthPort, host: opts.healthHost ?? '127.0.0.1'}) : null;
	// `iota-tui status --json` reads this snapshot while the miner runs.
	const loopDelay = await startMinerLoopDelay(store);
	const statusFile = writeStatusFile(store, minerStatusFile(dataDir, hotkeyPair.address), {loopDelay});
	const miner = await startMiner({
		...minerProfileOptions(net),
		orchestratorUrl,
		chainUrl: net.url,
		hotkeyPair,
		netuid,
		network: net.name,
		dataDir,
		backend,
		model: opts.model,
		store,
		localSteps: opts.localSteps,
		storeHosts: opts.storeHost,
		corpus: opts.corpus,
		tokenizer,
		autoRegister,
	});
	try {
		if (headless) {
			await new Promise<void>(resolve => {
				const onSignal = () => void miner.stop().finally(resolve);
				process.once('SIGINT', onSignal);
				process.once('SIGTERM', onSignal);
				process.once('SIGHUP', onSignal);
				void miner.done.finally(resolve);
			});
			await miner.done;
		} else {
			const [{startDashboard}, {loadTheme}] = await Promise.all([import('../ui/dashboard/index.js'), import('../ui/theme.js')]);
			await startDashboard(store, {theme: loadTheme(opts.theme ?? cfg.values.theme), onQuit: () => miner.stop()});
			await miner.stop();
		}
	} finally {
		stopView();
		statusFile.close();
		loopDelay?.close();
		await health?.close();
	}
	// Ended by a fatal error (not by the user): say so on stderr and exit non-zero.
	const fatal = miner.fatalError();
	if (fatal) throw new UserError(fatal);
}

/** IOTA_TUI_LOOP_DELAY=1: event-loop delay in the status file, counted from the first trained batch (not startup). */
async function startMinerLoopDelay(store: MinerStore) {
	const {loopDelayWanted, startLoopDelay} = await import('../loop-delay.js');
	if (!loopDelayWanted()) return undefined;
	const loop = startLoopDelay();
	const off = store.subscribe((_, event) => {
		if (event.type !== 'batch') return;
		loop.reset();
		off();
	});
	return loop;
}
