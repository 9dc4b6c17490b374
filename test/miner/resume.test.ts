// A miner killed with SIGKILL while uploads are queued loses nothing: the next start of the same
// command on the same data dir uploads every one of them (real chain, store, orchestrator, CLI).
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {startDevnet, type Devnet} from '../../source/devnet/devnet.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {createWallet} from '../../source/wallet/wallet.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';
import {SWARM_SETTINGS} from './swarm.js';
import {runCli} from '../helpers/cli.js';
import {HeadObjectCommand} from '@aws-sdk/client-s3';
import {makeS3Client} from '../../source/storage/s3.js';

type Ev = Record<string, unknown> & {event: string};

let dir: string;
let devnet: Devnet;
let chain: ChainClient;
const wallet = () => ({path: join(dir, 'wallets'), name: 'resume', hotkey: 'default'});
// The default data dir (queue and status file) under a private XDG_DATA_HOME, as a user would have it.
const env = () => ({IOTA_TUI_CONFIG_DIR: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'xdg')});

before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-resume-'));
	devnet = await startDevnet({dataDir: join(dir, 'devnet'), settings: SWARM_SETTINGS});
	chain = await connectChain(devnet.chain);
	const hotkeyMnemonic = newMnemonic();
	const coldkeyMnemonic = newMnemonic();
	await createWallet({...wallet(), password: 'resume-pass', coldkeyMnemonic, hotkeyMnemonic});
	const coldkey = await pairFromMnemonic(coldkeyMnemonic);
	await chain.fundFromFaucet(coldkey.address);
	await chain.burnedRegister(coldkey, (await pairFromMnemonic(hotkeyMnemonic)).address, devnet.netuid);
});

after(async () => {
	await chain?.close();
	await devnet?.close();
	rmSync(dir, {recursive: true, force: true});
});

function mine(onEvent: (e: Ev) => void): {child: ChildProcess; exited: Promise<number | null>} {
	const w = wallet();
	const child = spawn(process.execPath, ['--import', 'tsx', 'test/miner/cli-entry.ts', 'mine', '--headless', '--json', '--network', devnet.chain,
		'--orchestrator', devnet.orchestrator, '--wallet-path', w.path, '--wallet', w.name, '--hotkey', w.hotkey,
		'--model', 'tiny', '--backend', 'cpu'], {stdio: ['ignore', 'pipe', 'ignore'], env: {...process.env, ...env()}});
	createInterface({input: child.stdout!}).on('line', line => {
		try {
			onEvent(JSON.parse(line) as Ev);
		} catch {
			// not an event line
		}
	});
	return {child, exited: new Promise(resolve => child.once('exit', code => resolve(code)))};
}

const until = (pred: () => boolean, ms: number) => new Promise<boolean>(resolve => {
	const deadline = Date.now() + ms;
	const poll = () => (pred() ? resolve(true) : Date.now() > deadline ? resolve(false) : setTimeout(poll, 100));
	poll();
});

test('SIGKILL with uploads queued, then the same command again: every queued upload is delivered', async () => {
	// Run 1: the head miner produces activations faster than the orchestrator's 1 request/s lets
	// them out, so the queue fills; kill it hard while some are still waiting.
	const state = new Map<string, string>();
	const first = mine(e => {
		if (e.event === 'upload') state.set(String(e.key), String(e.state));
	});
	const waiting = () => [...state].filter(([, s]) => s === 'queued').map(([k]) => k);
	assert.ok(await until(() => waiting().length >= 2, 120_000), `no queued uploads seen: ${JSON.stringify([...state])}`);
	const left = waiting();
	first.child.kill('SIGKILL');
	await first.exited;

	// Run 2: the queue on disk is resumed and drained.
	const delivered = new Set<string>();
	const second = mine(e => {
		if (e.event === 'upload' && e.state === 'done') delivered.add(String(e.key));
	});
	const ok = await until(() => left.every(k => delivered.has(k)), 120_000);
	// While it runs, `iota-tui status --json` answers from the miner's status file as well as the chain.
	const w = wallet();
	const statusArgs = ['status', '--json', '--network', devnet.chain, '--wallet-path', w.path, '--wallet', w.name, '--hotkey', w.hotkey];
	const status = await runCli(statusArgs, {env: env()});
	// --data-dir points status at a miner started with its own data folder (here: the default one, named).
	const named = await runCli([...statusArgs, '--data-dir', join(dir, 'xdg', 'iota-tui', 'miner')], {env: env()});
	const elsewhere = await runCli([...statusArgs, '--data-dir', join(dir, 'no-miner-here')], {env: env()});
	second.child.kill('SIGTERM');
	assert.equal(JSON.parse(named.stdout).miner?.layer, 0, named.stderr);
	assert.equal(JSON.parse(elsewhere.stdout).miner, null, elsewhere.stderr);
	assert.equal(status.code, 0, status.stderr);
	const s = JSON.parse(status.stdout) as {registered: boolean; miner: {status: string; layer: number; batches_before_merging: number} | null};
	assert.equal(s.registered, true);
	assert.ok(s.miner, 'status found the running miner');
	assert.equal(s.miner.layer, 0);
	assert.equal(s.miner.batches_before_merging, SWARM_SETTINGS.batches_before_merging);
	assert.equal(await second.exited, 0, 'the second run stops cleanly');
	assert.ok(ok, `not delivered after restart: ${left.filter(k => !delivered.has(k)).join(', ')}`);
	// And the objects are really in the store under those keys.
	const s3 = makeS3Client({endpoint: devnet.objectStore.url, bucket: devnet.objectStore.bucket, accessKeyId: devnet.objectStore.accessKeyId, secretAccessKey: devnet.objectStore.secretAccessKey});
	for (const k of left) {
		const head = await s3.send(new HeadObjectCommand({Bucket: devnet.objectStore.bucket, Key: k}));
		assert.ok((head.ContentLength ?? 0) > 0, `${k} is in the store`);
	}
});
