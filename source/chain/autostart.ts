// For the default devnet URL: start the whole devnet (`iota-tui devnet --miners 2`: chain, object
// store, orchestrator and two miners so a 3-stage pipeline has a miner on every other layer) in the
// background when nothing answers there, so `npx iota-tui` works on a fresh machine with no other
// step. The devnet outlives the wizard; its log is in ~/.local/share/iota-tui/devnet.log.
import {spawn} from 'node:child_process';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {defaultDataDir} from '../paths.js';
import {UserError} from '../errors.js';
import {connectChain, type ChainClient} from './client.js';
import {DEVNET_NETUID} from './devnet-keys.js';
import {DEVNET_DEFAULT_PROTOCOL} from './networks.js';
import {findChainSpec} from './spec.js';

export type AutostartResult = {client: ChainClient; started: {pid: number; log: string} | null};

export async function connectOrStartDevnet(url: string, log: (line: string) => void = () => {}): Promise<AutostartResult> {
	try {
		return {client: await connectChain(url, 5000), started: null};
	} catch {
		// nothing there yet: start one below
	}
	// The devnet needs the raw chain spec; without it the background start could only fail in its log.
	findChainSpec();
	const port = Number(new URL(url).port || 9944);
	const dir = join(defaultDataDir(), '..');
	mkdirSync(dir, {recursive: true});
	// The devnet writes its own log, capped and rotated (source/log-file.ts).
	const logFile = join(dir, 'devnet.log');
	// Same Node, same loader flags (tsx in development), same CLI file.
	// --reset: the chain starts from genesis, so orchestrator state from an earlier devnet is stale.
	// --protocol: the one the devnet profile assumes when the wizard's miner starts before the
	// orchestrator answers the probe (resolveMinerProfile).
	const args = ['devnet', '--chain-port', String(port), '--protocol', DEVNET_DEFAULT_PROTOCOL, '--miners', '2', '--headless', '--reset'];
	const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
		detached: true,
		stdio: 'ignore',
		env: {...process.env, IOTA_TUI_LOG_FILE: logFile},
	});
	child.unref();
	writeFileSync(join(dir, 'devnet.pid'), `${child.pid}\n`); // `kill $(cat …/devnet.pid)` stops it
	log(`started the local devnet (pid ${child.pid}, log ${logFile})`);
	const deadline = Date.now() + 90_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) break;
		try {
			const client = await connectChain(url, 5000);
			// The port opens before subnet 9 is set up (with transactions from the faucet key): wait for it.
			while (!(await client.registrationOpen(DEVNET_NETUID)) && Date.now() < deadline) await new Promise(r => setTimeout(r, 300));
			return {client, started: {pid: child.pid!, log: logFile}};
		} catch {
			await new Promise(r => setTimeout(r, 1000));
		}
	}
	throw new UserError(`the local devnet did not come up at ${url}: see ${logFile}, or start it yourself with \`iota-tui devnet --miners 2\``);
}
