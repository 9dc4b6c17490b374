// The miner on IOTA's current protocol (spec 30017), end to end: a devnet (real chain, store, current
// orchestrator with its bridge registry) with 3 stages and 2 miners per stage. Activations go peer to peer
// over iroh, hashes are checked along the chain by the orchestrator, losses are reported, phases move.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {createWallet} from '../../source/wallet/wallet.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';
import type {CurrentDevnet} from '../../source/devnet/devnet.js';
import type {MinerEvent} from '../../source/miner/types.js';
import {makeS3Client} from '../../source/storage/s3.js';
import {Presigner} from '../../source/storage/presign.js';
import {startSwarm, untilAll, type Swarm, type SwarmMiner} from './swarm.js';
import {QUICK_SETTINGS} from '../../source/devnet/current/settings.js';

let swarm: Swarm;
let t0 = 0;

/** Small and quick: [2, 32] batches, a phase timeout that brings layers back to training quickly. */
const SETTINGS = {
	...QUICK_SETTINGS,
	batches_before_merging: 6,
	spot_check_rate: 0.3, // ~40 layer-0 forwards: some spot checks for sure (0.7^40 ~ 6e-7 for none)
};

before(async () => {
	t0 = Date.now();
	swarm = await startSwarm({miners: 6, protocol: 'current', currentSettings: SETTINGS});
});
after(async () => {
	await swarm?.close();
});

const p2pEvents = (m: SwarmMiner) => m.events.filter((e): e is Extract<MinerEvent, {type: 'p2p'}> => e.type === 'p2p');
const losses = (ms: SwarmMiner[]) => ms.flatMap(m => m.events.filter((e): e is Extract<MinerEvent, {type: 'loss'}> => e.type === 'loss')).sort((a, b) => a.at - b.at);
const mean = (xs: {value: number}[]) => xs.reduce((a, x) => a + x.value, 0) / xs.length;

test('6 miners over 3 layers: activations peer to peer, hashes agree, two merges on every layer, loss falls', async () => {
	const {miners} = swarm;
	const devnet = swarm.devnet as CurrentDevnet;
	await untilAll(miners, s => s.layer !== null, 60_000, 'registration');
	assert.deepEqual(miners.map(m => m.store.getState().layer!).sort(), [0, 0, 1, 1, 2, 2], 'two miners per layer');
	for (const m of miners) assert.deepEqual(m.events.find(e => e.type === 'run'), {type: 'run', protocol: 'current', runId: 'devnet-run'});
	const tails = miners.filter(m => m.store.getState().layer === 2);
	// Layer 0's forwards reach layer 2 over two P2P hops; its losses are reported.
	await untilAll(tails, s => s.losses.length >= 2, 300_000, 'losses on the last layer');
	const flowing = Date.now();
	await untilAll(miners, s => s.epoch >= 2, 900_000, 'two merges on every layer');
	const merged = Date.now();

	const all = miners.flatMap(p2pEvents);
	const l = losses(tails);
	const summary = {
		seconds_to_first_losses: Math.round((flowing - t0) / 1000),
		seconds_to_two_merges: Math.round((merged - t0) / 1000),
		transfers: all.length,
		bytes: all.reduce((n, e) => n + e.bytes, 0),
		hash_failures: all.filter(e => !e.hashOk).length,
		mismatches: devnet.server.state.work.mismatches().length,
		losses: l.length,
		loss_first4: +mean(l.slice(0, 4)).toFixed(3),
		loss_last4: +mean(l.slice(-4)).toFixed(3),
		per_miner: miners.map(m => ({layer: m.store.getState().layer, epoch: m.store.getState().epoch, ...m.handle.stats(), p2p: m.store.getState().p2p})),
	};
	console.log(`# current e2e summary ${JSON.stringify(summary)}`);
	assert.ok(all.length > 0, 'P2P transfers happened');
	assert.equal(summary.hash_failures, 0, 'every P2P transfer hash_ok');
	assert.equal(summary.mismatches, 0, 'the orchestrator found no hash mismatch along the chain');
	const pushedIn = (layer: number) => miners.filter(m => m.store.getState().layer === layer).reduce((n, m) => n + m.store.getState().p2p.in, 0);
	assert.ok(pushedIn(1) > 0 && pushedIn(2) > 0 && pushedIn(0) > 0, 'forwards reached layers 1 and 2, gradients came back to layer 0');
	for (const m of miners) {
		const s = m.store.getState();
		assert.equal(s.lastError === null || !/fatal/.test(s.lastError), true);
		const epochs = m.events.filter(e => e.type === 'merge_done').map(e => (e as {epoch: number}).epoch);
		assert.ok(epochs.includes(1) && epochs.includes(2), `miner on layer ${s.layer} merged epochs ${epochs}`);
		const phases = m.events.filter(e => e.type === 'phase').map(e => (e as {phase: string}).phase);
		assert.ok(phases.includes('weights_uploading') && phases.includes('miners_merging_partitions'), `phases ${phases}`);
	}
	for (const layer of [0, 1, 2]) {
		const submitted = miners.filter(m => m.store.getState().layer === layer).reduce((n, m) => n + m.handle.stats().weightsSubmitted, 0);
		const chunks = miners.filter(m => m.store.getState().layer === layer).reduce((n, m) => n + m.handle.stats().partitionsMerged, 0);
		assert.ok(submitted >= 2 && chunks >= 2, `layer ${layer}: weights submitted ${submitted}, chunks merged ${chunks}`);
	}
	// Spot checks: layer-0 forwards the orchestrator picked were uploaded and are in the store.
	const spots = devnet.server.state.work.db.prepare('SELECT path FROM activations WHERE path IS NOT NULL').all() as {path: string}[];
	assert.ok(spots.length > 0, 'some spot-check activations were uploaded');
	const {url, bucket, accessKeyId, secretAccessKey} = devnet.objectStore;
	const store = new Presigner(makeS3Client({endpoint: url, bucket, accessKeyId, secretAccessKey}), bucket);
	for (const {path} of spots) assert.ok(((await store.size(path)) ?? 0) > 0, `spot check ${path} is in the store`);
	assert.ok(l.length >= 8, `only ${l.length} losses`);
	assert.ok(summary.loss_last4 < summary.loss_first4, `loss did not fall: ${summary.loss_first4} -> ${summary.loss_last4}`);
});

type Ev = Record<string, unknown> & {event: string};

/** The real CLI as a child process, so it can die by SIGKILL (its iroh endpoint process goes with it). */
function mineCli(devnet: CurrentDevnet, wallet: {path: string; name: string}, env: Record<string, string>, events: Ev[]): {child: ChildProcess; exited: Promise<number | null>} {
	const child = spawn(process.execPath, ['--import', 'tsx', 'test/miner/cli-entry.ts', 'mine', '--headless', '--json', '--protocol', 'current', '--network', devnet.chain,
		'--orchestrator', devnet.orchestrator, '--wallet-path', wallet.path, '--wallet', wallet.name, '--hotkey', 'default',
		'--model', 'devnet', '--backend', 'cpu', '--local-steps', '1'], {stdio: ['ignore', 'pipe', 'ignore'], env: {...process.env, ...env}});
	createInterface({input: child.stdout!}).on('line', line => {
		try {
			events.push(JSON.parse(line) as Ev);
		} catch {
			// not an event line
		}
	});
	return {child, exited: new Promise(resolve => child.once('exit', code => resolve(code)))};
}

const until = (pred: () => boolean, ms: number) => new Promise<boolean>(resolve => {
	const deadline = Date.now() + ms;
	const poll = () => (pred() ? resolve(true) : Date.now() > deadline ? resolve(false) : setTimeout(poll, 200));
	poll();
});

test('a miner killed with SIGKILL comes back: it registers again on its layer and trains on, and the swarm merges on', async () => {
	const devnet = swarm.devnet as CurrentDevnet;
	const wallet = {path: join(swarm.dir, 'wallets'), name: 'kill9'};
	const env = {IOTA_TUI_CONFIG_DIR: join(swarm.dir, 'config'), XDG_DATA_HOME: join(swarm.dir, 'xdg')};
	const hotkeyMnemonic = newMnemonic();
	const coldkeyMnemonic = newMnemonic();
	await createWallet({...wallet, hotkey: 'default', password: 'kill9-pass', coldkeyMnemonic, hotkeyMnemonic});
	const coldkey = await pairFromMnemonic(coldkeyMnemonic);
	await swarm.chain.fundFromFaucet(coldkey.address);
	await swarm.chain.burnedRegister(coldkey, (await pairFromMnemonic(hotkeyMnemonic)).address, devnet.netuid);

	const first: Ev[] = [];
	const run1 = mineCli(devnet, wallet, env, first);
	const worked = (evs: Ev[]) => evs.some(e => e.event === 'p2p') && evs.some(e => e.event === 'batch');
	assert.ok(await until(() => worked(first) || run1.child.exitCode !== null, 240_000), 'the CLI miner moved tensors and trained');
	const layer = first.find(e => e.event === 'registered')?.layer;
	assert.equal(typeof layer, 'number', `registered: ${JSON.stringify(first.filter(e => e.event === 'error').slice(-2))}`);
	run1.child.kill('SIGKILL');
	await run1.exited;

	const second: Ev[] = [];
	const run2 = mineCli(devnet, wallet, env, second);
	try {
		assert.ok(await until(() => worked(second) || run2.child.exitCode !== null, 240_000), 'after SIGKILL the same miner trains again');
		assert.equal(second.find(e => e.event === 'registered')?.layer, layer, 'same layer as before');
		assert.ok(second.some(e => e.event === 'run' && e.protocol === 'current'));
		assert.ok(second.filter(e => e.event === 'p2p').every(e => e.hash_ok === true), 'its transfers hash_ok');
		// The swarm carries on past the dead endpoint in its registry: one more merge everywhere.
		const epochs = swarm.miners.map(m => m.store.getState().epoch);
		await untilAll(swarm.miners, s => s.epoch >= Math.min(...epochs) + 1, 600_000, 'a merge after the restart');
		assert.equal(devnet.server.state.work.mismatches().length, 0, 'still no hash mismatch');
		console.log(`# current e2e kill-9 ${JSON.stringify({layer, p2p_after_restart: second.filter(e => e.event === 'p2p').length, batches_after_restart: second.filter(e => e.event === 'batch').length, merges_after_restart: second.filter(e => e.event === 'merge_done').length})}`);
	} finally {
		run2.child.kill('SIGTERM');
		await Promise.race([run2.exited, new Promise(r => setTimeout(r, 15_000))]);
		if (run2.child.exitCode === null) run2.child.kill('SIGKILL');
	}
});
