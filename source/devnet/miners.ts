// `iota-tui devnet --miners N`: N headless miners as child processes (`iota-tui mine --headless
// --json`), each with its own wallet (created with the wallet code under the devnet data dir) and
// hotkey registered on the local chain. Their NDJSON lines are passed to `emit` unchanged.
import {spawn, type ChildProcess} from 'node:child_process';
import {availableParallelism} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {connectChain} from '../chain/client.js';
import {errorMessage} from '../errors.js';
import {newMnemonic} from '../wallet/keys.js';
import {createWallet, loadColdkeyPair, readHotkey, walletExists, type WalletRef} from '../wallet/wallet.js';

// A devnet-only coldkey password: these wallets hold devnet faucet funds and nothing else.
const DEVNET_PASSWORD = 'devnet-miner';

export type DevnetMinersOptions = {
	count: number;
	chainUrl: string;
	orchestratorUrl: string;
	netuid: number;
	dataDir: string;
	json: boolean;
	emit: (line: string) => void;
	log: (line: string) => void;
	model?: string;
	backend?: string;
	/** The protocol the devnet's orchestrator serves; passed as `mine --protocol` (default: the miner's devnet probe). */
	protocol?: 'current' | 'v1';
	/** The CLI file to run (default: this process's entry, with the same Node flags). */
	cli?: string;
	/** Node flags for the CLI (default: this process's). */
	execArgv?: string[];
	/** How long to wait for one miner to register before starting the next. */
	registerTimeoutMs?: number;
};

export type DevnetMiners = {hotkeys: string[]; miners: DevnetMiner[]; stop(): Promise<void>};

export async function startDevnetMiners(o: DevnetMinersOptions): Promise<DevnetMiners> {
	const walletPath = join(o.dataDir, 'wallets');
	const chain = await connectChain(o.chainUrl);
	const refs: WalletRef[] = [];
	try {
		for (let i = 0; i < o.count; i++) {
			const ref = {path: walletPath, name: `devnet-miner-${i}`, hotkey: 'default'};
			const present = await walletExists(ref);
			if (!present.coldkey || !present.hotkey) {
				await createWallet({...ref, password: DEVNET_PASSWORD, coldkeyMnemonic: present.coldkey ? undefined : newMnemonic(12), hotkeyMnemonic: newMnemonic(12), reuseColdkey: present.coldkey});
			}
			const coldkey = await loadColdkeyPair(ref, DEVNET_PASSWORD);
			const hotkey = (await readHotkey(ref)).ss58Address!;
			if ((await chain.getUid(o.netuid, hotkey)) === null) {
				await chain.topUpForRegistration(coldkey.address, o.netuid);
				const r = await chain.burnedRegister(coldkey, hotkey, o.netuid);
				o.log(`miner ${i}: hotkey ${hotkey} registered on subnet ${o.netuid} (uid ${r.uid})`);
			}
			refs.push(ref);
		}
	} finally {
		await chain.close();
	}

	const miners: DevnetMiner[] = [];
	for (const [i, ref] of refs.entries()) {
		const miner = new DevnetMiner(o, i, ref, (await readHotkey(ref)).ss58Address!);
		miners.push(miner);
		// One registration at a time, so the orchestrator spreads the miners evenly over the layers.
		await Promise.race([miner.start(), new Promise(r => setTimeout(r, o.registerTimeoutMs ?? 120_000).unref())]);
	}
	return {hotkeys: miners.map(m => m.hotkey), miners, stop: () => Promise.all(miners.map(m => m.stop())).then(() => {})};
}

/** One miner process; it can be killed and started again with the same wallet and data folder. */
export class DevnetMiner {
	child: ChildProcess | null = null;
	constructor(
		private readonly o: DevnetMinersOptions,
		readonly index: number,
		readonly ref: WalletRef,
		readonly hotkey: string,
	) {}

	args(): string[] {
		const o = this.o;
		const args = [...(o.execArgv ?? process.execArgv), o.cli ?? process.argv[1]!, 'mine', '--headless', '--json', '--network', o.chainUrl, '--orchestrator', o.orchestratorUrl,
			'--netuid', String(o.netuid), '--wallet-path', this.ref.path, '--wallet', this.ref.name, '--hotkey', this.ref.hotkey, '--data-dir', this.dataDir];
		if (o.model) args.push('--model', o.model);
		if (o.backend) args.push('--backend', o.backend);
		if (o.protocol) args.push('--protocol', o.protocol);
		return args;
	}

	get dataDir(): string {
		return join(this.o.dataDir, 'miners');
	}

	get running(): boolean {
		return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
	}

	/** Spawns the process (extra environment for fault cases); resolves once it registered, failed or exited. */
	start(env: NodeJS.ProcessEnv = {}): Promise<void> {
		const o = this.o;
		const i = this.index;
		// The local miners share this box's cores: each trains on its share of them unless IOTA_TUI_THREADS says otherwise.
		const threads = process.env.IOTA_TUI_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / o.count)));
		const child = spawn(process.execPath, this.args(), {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, IOTA_TUI_THREADS: threads, ...env}});
		this.child = child;
		let registered: () => void = () => {};
		const isRegistered = new Promise<void>(resolve => (registered = resolve));
		createInterface({input: child.stdout!}).on('line', line => {
			let event: {event?: string} | null = null;
			try {
				event = JSON.parse(line) as {event?: string};
			} catch {
				// not an event line
			}
			if (event?.event === 'registered' || event?.event === 'error') registered();
			if (o.json) {
				if (event) o.emit(line);
			} else o.emit(`[miner ${i}] ${line}`);
		});
		createInterface({input: child.stderr!}).on('line', line => {
			if (line.trim() && !/NodeVersionSupportWarning|AWS SDK|node >=22|upgrade to node|a\.co\/|trace-warnings|^\s*$/.test(line)) o.log(`miner ${i}: ${line}`);
		});
		child.once('exit', (code, signal) => {
			registered();
			o.log(`miner ${i}: exited with ${signal ?? `code ${code}`}`);
		});
		return isRegistered;
	}

	kill(signal: NodeJS.Signals): void {
		if (this.running) this.child!.kill(signal);
	}

	/** SIGTERM, then SIGKILL after 30 s; resolves when the process is gone. */
	stop(): Promise<void> {
		const child = this.child;
		return new Promise<void>(resolve => {
			if (!child || !this.running) return resolve();
			const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
			child.once('exit', () => {
				clearTimeout(kill);
				resolve();
			});
			try {
				child.kill('SIGTERM');
			} catch (error) {
				this.o.log(`miner: ${errorMessage(error)}`);
				resolve();
			}
		});
	}
}
