// End to end on the devnet's real runtime: a full subnet prunes a mining hotkey; `mine --auto --max-burn`
// notices at once, pauses (the process stays up), waits out a full interval and a burn above its cap, and
// registers again only when the burn is back under the cap; then rejoins the orchestrator. The burn history is printed.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {startDevnet, type Devnet} from '../../source/devnet/devnet.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {createWallet} from '../../source/wallet/wallet.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';
import {SWARM_SETTINGS} from './swarm.js';
import {burnHistory} from '../helpers/burn-history.js';

type Ev = Record<string, unknown> & {event: string};
const NETUID = 9;
const INTERVAL = 6;
const BURN = 1_000_000n; // MinBurn (rao): an interval without registrations brings the burn back to it; 3 against a target of 1 double it
const CAP = 1_500_000n;
let dir: string;
let devnet: Devnet;
let chain: ChainClient;
let miner: ChildProcess | undefined;
const events: Ev[] = [];
const wallet = () => ({path: join(dir, 'wallets'), name: 'pruned', hotkey: 'default'});

before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-rereg-'));
	devnet = await startDevnet({dataDir: join(dir, 'devnet'), settings: SWARM_SETTINGS, validator: false, registration: {
		maxUids: 3, immunityPeriod: 1, targetPerInterval: 1, adjustmentInterval: INTERVAL, maxPerBlock: 1, adjustmentAlpha: 0n, minBurn: BURN, maxBurn: 100n * BURN,
	}});
	chain = await connectChain(devnet.chain);
});

after(async () => {
	if (miner && miner.exitCode === null) miner.kill('SIGKILL');
	await chain?.close();
	await devnet?.close();
	rmSync(dir, {recursive: true, force: true});
});

const {lines: history, note, newBlock, untilAdjusted, newKeys} = burnHistory(() => chain, NETUID, INTERVAL, ` (cap ${CAP})`);
const until = async (pred: () => boolean, ms: number, what: string) => {
	const deadline = Date.now() + ms;
	while (!pred()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last events: ${JSON.stringify(events.filter(e => !['batch', 'upload', 'published', 'summary', 'score', 'loss'].includes(e.event)).slice(-6))}`);
		await new Promise(r => setTimeout(r, 200));
	}
};
const seen = (pred: (e: Ev) => boolean) => () => events.some(pred);
const waitsFor = (re: RegExp) => seen(e => (e.event === 'log' && re.test(String(e.text))) || (e.event === 'registration' && re.test(String(e.waiting_for))));

function mine(passwordFile: string): ChildProcess {
	const w = wallet();
	const child = spawn(process.execPath, ['--import', 'tsx', 'test/miner/cli-entry.ts', 'mine', '--json', '--network', devnet.chain, '--orchestrator', devnet.orchestrator,
		'--wallet-path', w.path, '--wallet', w.name, '--hotkey', w.hotkey, '--model', 'tiny', '--backend', 'cpu', '--data-dir', join(dir, 'miner'),
		'--auto', '--max-burn', '0.0015', '--password-file', passwordFile], {stdio: ['ignore', 'pipe', 'inherit'], env: {...process.env, IOTA_TUI_CONFIG_DIR: join(dir, 'config')}});
	createInterface({input: child.stdout!}).on('line', line => {
		try {
			events.push(JSON.parse(line) as Ev);
		} catch {
			// not an event line
		}
	});
	return child;
}

test('pruned while mining: paused at once, registered again under the cap and never above it, back with the orchestrator', {timeout: 600_000}, async () => {
	const hotkeyMnemonic = newMnemonic(), coldkeyMnemonic = newMnemonic();
	await createWallet({...wallet(), password: 'rereg-pass', coldkeyMnemonic, hotkeyMnemonic});
	const passwordFile = join(dir, 'password');
	writeFileSync(passwordFile, 'rereg-pass\n', {mode: 0o600});
	const coldkey = await pairFromMnemonic(coldkeyMnemonic);
	const hotkey = (await pairFromMnemonic(hotkeyMnemonic)).address;
	await chain.fundFromFaucet(coldkey.address);
	const fillers = [await newKeys(), await newKeys(), await newKeys()]; // funded now: each transfer builds a block
	const first = await chain.burnedRegister(coldkey, hotkey, NETUID);
	await note(`our hotkey registered: uid ${first.uid}`);
	await untilAdjusted(); // the interval with our registration (and the devnet's own) adjusts the burn
	assert.equal((await untilAdjusted()).burn, BURN, 'an interval without registrations: the burn is back at MinBurn');

	miner = mine(passwordFile);
	const exited = new Promise<number | null>(resolve => miner!.once('exit', code => resolve(code)));
	await until(seen(e => e.event === 'batch'), 180_000, 'a first trained batch');
	assert.ok(events.some(e => e.event === 'registration' && e.cap_rao === CAP.toString()), 'the miner shows the window with its cap');

	// Three newcomers fill the interval (3x the target of 1); the subnet is full, so each prunes the oldest
	// non-immune uid (no validator: every score is 0): ours is among them.
	await untilAdjusted(); // a fresh interval, so the three land in the same one
	for (const f of fillers) await note(`newcomer registered: uid ${(await chain.burnedRegister(f.coldkey, f.hotkey, NETUID)).uid}`);
	assert.equal(await chain.getUid(NETUID, hotkey), null, 'our hotkey was pruned');
	await until(seen(e => e.event === 'deregistered'), 60_000, 'the deregistered event');
	assert.equal(events.find(e => e.event === 'deregistered')!.uid, first.uid);
	await newBlock('(next block: the per-block count resets, the interval stays full)');
	await until(waitsFor(/interval full \(3\/3\)/), 60_000, 'a wait for the full interval');

	// The interval resets with the burn doubled (3 registrations against a target of 1): above the cap.
	const raised = await untilAdjusted();
	assert.equal(raised.burn, 2n * BURN);
	await until(waitsFor(/above your cap/), 60_000, 'a wait for the burn to come under the cap');
	assert.equal(await chain.getUid(NETUID, hotkey), null, 'nothing registered above the cap');

	// An interval without registrations halves it again: the miner registers at the cap or under it.
	const fallen = await untilAdjusted();
	assert.equal(fallen.burn, BURN);
	await until(seen(e => e.event === 'chain_registered' && e.again === true), 60_000, 'the registration under the cap');
	const again = events.find(e => e.event === 'chain_registered' && e.again === true)!;
	const uid = await chain.getUid(NETUID, hotkey);
	await note(`our hotkey registered again by the miner: uid ${uid}, burned ${String(again.burn_rao)} rao`);
	assert.equal(again.uid, uid);
	assert.ok(BigInt(String(again.burn_rao)) <= CAP, `burned ${String(again.burn_rao)} rao, cap ${CAP}`);
	assert.equal(BigInt(String(again.burn_rao)), BURN);
	console.log(`burn history (target 1 per ${INTERVAL} blocks, cap ${CAP} rao):\n  ${history.join('\n  ')}`);
	console.log('miner waits:', events.filter(e => e.event === 'log' && /auto-register/.test(String(e.text))).map(e => e.text));

	// Paused: no batch from the first wait to the new uid; then the orchestrator takes the miner back.
	const firstWait = events.findIndex(e => e.event === 'log' && /auto-register: waiting/.test(String(e.text)));
	const regained = events.indexOf(again);
	assert.ok(firstWait > 0 && firstWait < regained);
	assert.deepEqual(events.slice(firstWait, regained).filter(e => e.event === 'batch'), [], 'no batch while deregistered');
	await until(() => events.slice(regained).some(e => e.event === 'registered'), 120_000, 'the orchestrator registering the miner again');
	assert.equal(miner.exitCode, null, 'the miner stayed up throughout');
	miner.kill('SIGTERM');
	assert.equal(await exited, 0);
});
