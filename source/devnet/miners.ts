// `iota-tui devnet --miners N`: N headless miners as child processes (`iota-tui mine --headless
// --json`), each with its own wallet (created with the wallet code under the devnet data dir) and
// hotkey registered on the local chain. Their NDJSON lines are passed to `emit` unchanged.
import {spawn, type ChildProcess} from 'node:child_process';
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
	/** How long to wait for one miner to register before starting the next. */
	registerTimeoutMs?: number;
};

export type DevnetMiners = {hotkeys: string[]; stop(): Promise<void>};

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

	const children: ChildProcess[] = [];
	const hotkeys: string[] = [];
	const cli = o.cli ?? process.argv[1]!;
	for (const [i, ref] of refs.entries()) {
		const args = [...process.execArgv, cli, 'mine', '--headless', '--json', '--network', o.chainUrl, '--orchestrator', o.orchestratorUrl, '--netuid', String(o.netuid),
			'--wallet-path', ref.path, '--wallet', ref.name, '--hotkey', ref.hotkey, '--data-dir', join(o.dataDir, 'miners')];
		if (o.model) args.push('--model', o.model);
		if (o.backend) args.push('--backend', o.backend);
		if (o.protocol) args.push('--protocol', o.protocol);
		const child = spawn(process.execPath, args, {stdio: ['ignore', 'pipe', 'pipe']});
		children.push(child);
		hotkeys.push((await readHotkey(ref)).ss58Address!);
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
		child.once('exit', code => {
			registered();
			o.log(`miner ${i}: exited with code ${code}`);
		});
		// One registration at a time, so the orchestrator spreads the miners evenly over the layers.
		await Promise.race([isRegistered, new Promise(r => setTimeout(r, o.registerTimeoutMs ?? 120_000).unref())]);
	}

	return {
		hotkeys,
		async stop() {
			await Promise.all(
				children.map(
					child =>
						new Promise<void>(resolve => {
							if (child.exitCode !== null || child.signalCode !== null) return resolve();
							const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
							child.once('exit', () => {
								clearTimeout(kill);
								resolve();
							});
							try {
								child.kill('SIGTERM');
							} catch (error) {
								o.log(`miner: ${errorMessage(error)}`);
								resolve();
							}
						}),
				),
			);
		},
	};
}
