// One `iota-tui mine` process against the bench devnet: headless (--json, NDJSON events) or with the Ink
// dashboard drawn on a pseudo-terminal from util-linux `script`. Both write the status file the bench reads.
import {spawn, type ChildProcess} from 'node:child_process';
import {realpathSync} from 'node:fs';
import {join} from 'node:path';
import {minerStatusFile} from '../../source/cli/mine.js';
import {readStatusFile, type StatusSnapshot} from '../../source/ui/health.js';
import {childEnv, cliArgs, type DevnetChild, type Wallet} from './devnet.js';
import {descendants, exeOf} from './proc.js';
import {readEvents, stopChild, type EventLog} from './ndjson.js';

export type Mode = 'headless' | 'dashboard';
export type MinerChild = {wallet: Wallet; mode: Mode; child: ChildProcess; log: EventLog; spawnedAt: number; statusPath: string; ttyBytes: () => number};

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export function spawnMiner(o: {devnet: DevnetChild; wallet: Wallet; dir: string; mode: Mode; backend: string}): MinerChild {
	const dataDir = join(o.dir, 'miners');
	const args = cliArgs('mine', '--network', o.devnet.chain, '--orchestrator', o.devnet.orchestrator, '--netuid', String(o.devnet.netuid), '--protocol', 'current',
		'--wallet-path', o.wallet.path, '--wallet', o.wallet.name, '--hotkey', o.wallet.hotkey, '--data-dir', dataDir, '--backend', o.backend, '--model', 'devnet');
	const env = childEnv(o.dir, {IOTA_TUI_LOOP_DELAY: '1', TERM: 'xterm-256color'});
	const spawnedAt = Date.now();
	let child: ChildProcess;
	let tty = 0;
	if (o.mode === 'headless') {
		child = spawn(process.execPath, [...args, '--headless', '--json'], {stdio: ['ignore', 'pipe', 'pipe'], env});
	} else {
		// A 120x40 pseudo-terminal; stdin stays an open pipe so `script` never sees end of input.
		const cmd = `stty cols 120 rows 40; exec ${[process.execPath, ...args].map(quote).join(' ')}`;
		child = spawn('script', ['-qfec', cmd, '/dev/null'], {stdio: ['pipe', 'pipe', 'pipe'], env});
		child.stdout!.on('data', (b: Buffer) => (tty += b.length));
	}
	child.stderr!.resume();
	const log = readEvents(child);
	return {wallet: o.wallet, mode: o.mode, child, log, spawnedAt, statusPath: minerStatusFile(dataDir, o.wallet.hotkeyAddress), ttyBytes: () => tty};
}

const node = realpathSync(process.execPath);

/** The miner's own node process: the child itself, or under `script` the first node below it (its P2P endpoint is a node child further down). */
export function minerPid(m: MinerChild): number | null {
	if (m.mode === 'headless') return m.child.pid ?? null;
	return descendants(m.child.pid!).find(p => exeOf(p) === node) ?? null;
}

/** The miner's process and everything under it (the forked P2P endpoint). */
export const minerTree = (m: MinerChild) => {
	const pid = minerPid(m);
	return pid === null ? [] : [pid, ...descendants(pid)];
};

export const status = (m: MinerChild): StatusSnapshot | null => readStatusFile(m.statusPath, {maxAgeMs: 60_000});
export const batchesOf = (s: StatusSnapshot | null) => (s ? s.state.forwards + s.state.backwards : 0);

/** Polls the status file until `pred` holds (works for both modes). */
export async function untilStatus(m: MinerChild, pred: (s: StatusSnapshot) => boolean, ms: number, what: string): Promise<StatusSnapshot> {
	const end = Date.now() + ms;
	for (;;) {
		const s = status(m);
		if (s && pred(s)) return s;
		if (m.child.exitCode !== null) throw new Error(`miner ${m.wallet.name} exited (${m.child.exitCode}) before ${what}`);
		if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what} (${m.wallet.name}, ${m.mode})`);
		await new Promise(resolve => setTimeout(resolve, 200));
	}
}

/** SIGTERM to the miner's node process (the dashboard quits on it), then wait for the spawned child. */
export async function stopMiner(m: MinerChild): Promise<void> {
	await stopChild(m.child, 30_000, minerPid(m) ?? m.child.pid);
}
