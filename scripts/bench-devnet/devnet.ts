// The devnet for the bench and the soak: `iota-tui devnet --protocol current --json` as a child (own
// process group, so stopping it reaches nothing else), small fast settings, and wallets registered on its chain.
import {spawn, type ChildProcess} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {connectChain} from '../../source/chain/client.js';
import {keyDataFromMnemonic, newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';
import {writeHotkey, type WalletRef} from '../../source/wallet/wallet.js';
import {readEvents, type Ev, type EventLog} from './ndjson.js';
import {QUICK_SETTINGS} from '../../source/devnet/current/settings.js';

export const SMALL_SETTINGS = QUICK_SETTINGS;

export const CLI = new URL('../../cli.tsx', import.meta.url).pathname;
/** The real CLI through tsx, as `npm start` would run it built. */
export const cliArgs = (...args: string[]) => ['--import', 'tsx', CLI, ...args];
/** Children never write into the user's config folder, and Ink may draw (CI would make it log plain lines). */
export function childEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...process.env, IOTA_TUI_CONFIG_DIR: join(dir, 'config'), ...extra};
	delete env.CI;
	delete env.CONTINUOUS_INTEGRATION;
	return env;
}

export type DevnetChild = {child: ChildProcess; log: EventLog; chain: string; store: string; orchestrator: string; netuid: number};

/** Starts the devnet (plus `--miners n` when given) and resolves at devnet_ready. */
export async function spawnDevnet(o: {dir: string; miners?: number; backend?: string; onLine?: (line: string) => void; keep?: (e: Ev) => boolean}): Promise<DevnetChild> {
	const config = join(o.dir, 'current.json');
	writeFileSync(config, JSON.stringify(SMALL_SETTINGS));
	const args = cliArgs('devnet', '--protocol', 'current', '--headless', '--json', '--port', '0', '--chain-port', '0', '--store-port', '0',
		'--data-dir', join(o.dir, 'data'), '--config', config);
	if (o.miners) args.push('--miners', String(o.miners), '--miner-backend', o.backend ?? 'cpu');
	const child = spawn(process.execPath, args, {stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: childEnv(o.dir)});
	child.stderr!.resume();
	const log = readEvents(child, o.onLine, o.keep);
	const ready = await log.until(e => e.event === 'devnet_ready', 180_000, 'devnet_ready');
	return {child, log, chain: String(ready.chain), store: String(ready.store), orchestrator: String(ready.orchestrator), netuid: 9};
}

export type Wallet = WalletRef & {hotkeyAddress: string};

/**
 * n wallets under dir/wallets, each hotkey funded and registered on the devnet's subnet (as `devnet --miners` does).
 * Only the hotkey goes to disk (`mine` reads nothing else); the coldkey stays in memory, which skips its password KDF.
 */
export async function registerWallets(chainUrl: string, netuid: number, dir: string, n: number): Promise<Wallet[]> {
	const chain = await connectChain(chainUrl);
	const out: Wallet[] = [];
	try {
		for (let i = 0; i < n; i++) {
			const ref = {path: join(dir, 'wallets'), name: `bench-miner-${i}`, hotkey: 'default'};
			const hot = keyDataFromMnemonic(newMnemonic(12));
			await writeHotkey(ref, hot);
			const coldkey = await pairFromMnemonic(newMnemonic(12));
			await chain.topUpForRegistration(coldkey.address, netuid);
			await chain.burnedRegister(coldkey, hot.ss58Address, netuid);
			out.push({...ref, hotkeyAddress: hot.ss58Address});
		}
	} finally {
		await chain.close();
	}
	return out;
}
