// A devnet (real chain, store, orchestrator) with N in-process miners, each with its own hotkey
// registered on subnet 9. Records every miner's states so views can be checked against them.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {KeyringPair} from '@polkadot/keyring/types';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {startDevnet, type CurrentDevnet, type Devnet} from '../../source/devnet/devnet.js';
import type {CurrentSettingsInput} from '../../source/devnet/current/settings.js';
import type {OrchestratorSettingsInput} from '../../source/orchestrator/settings.js';
import {startMiner, type MinerHandle, type MinerOptions} from '../../source/miner/runtime.js';
import {createMinerStore} from '../../source/miner/store.js';
import type {MinerEvent, MinerState, MinerStore} from '../../source/miner/types.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';

export type SwarmMiner = {hotkey: KeyringPair; store: MinerStore; handle: MinerHandle; events: MinerEvent[]; states: MinerState[]};
export type Swarm = {
	devnet: Devnet | CurrentDevnet;
	chain: ChainClient;
	miners: SwarmMiner[];
	dir: string;
	/** Starts miner `i` afresh with the same hotkey and data folder (after a crash or a stop), replacing it in `miners`. */
	restart(i: number): Promise<SwarmMiner>;
	close(): Promise<void>;
};
export type SwarmOptions = {
	miners: number;
	/** The orchestrator's protocol, which the miners speak too (default v1). */
	protocol?: 'current' | 'v1';
	settings?: OrchestratorSettingsInput;
	currentSettings?: CurrentSettingsInput;
	miner?: Partial<MinerOptions>;
	keepStates?: number;
};

/** Small, fast settings: 3 layers, a few backward passes per merge, generous rate limits. */
export const SWARM_SETTINGS: OrchestratorSettingsInput = {
	layers: 3,
	batches_before_merging: 4,
	rate_limit_per_s: 50,
	rate_limit_random_per_s: 100,
	metagraph_ttl_s: 2,
	learning_rate: 3e-3,
	cache_limit: 2,
};

export async function startSwarm(opts: SwarmOptions): Promise<Swarm> {
	const started = Date.now();
	const dir = mkdtempSync(join(tmpdir(), 'iota-swarm-'));
	const protocol = opts.protocol ?? 'v1';
	const devnet =
		protocol === 'current'
			? await startDevnet({protocol: 'current', dataDir: join(dir, 'devnet'), currentSettings: opts.currentSettings})
			: await startDevnet({dataDir: join(dir, 'devnet'), settings: opts.settings ?? SWARM_SETTINGS});
	const chain = await connectChain(devnet.chain);
	const hotkeys: KeyringPair[] = [];
	for (let i = 0; i < opts.miners; i++) {
		const coldkey = await pairFromMnemonic(newMnemonic());
		const hotkey = await pairFromMnemonic(newMnemonic());
		await chain.fundFromFaucet(coldkey.address);
		await chain.burnedRegister(coldkey, hotkey.address, devnet.netuid);
		hotkeys.push(hotkey);
	}
	const keep = opts.keepStates ?? 2000;
	const launch = async (hotkey: KeyringPair): Promise<SwarmMiner> => {
		const store = createMinerStore();
		const events: MinerEvent[] = [];
		const states: MinerState[] = [];
		store.subscribe((state, event) => {
			events.push(event);
			// IOTA_SWARM_LOG=1: every miner's log lines on stderr, for debugging a swarm run.
			if (process.env.IOTA_SWARM_LOG === '1' && (event.type === 'log' || event.type === 'error' || event.type === 'phase' || event.type === 'merge_done')) {
				console.error(`${((Date.now() - started) / 1000).toFixed(1)}s ${hotkey.address.slice(0, 6)} L${state.layer ?? '?'} ${JSON.stringify(event)}`);
			}
			if (event.type !== 'log' && states.length < keep) states.push(state);
		});
		const handle = await startMiner({
			orchestratorUrl: devnet.orchestrator,
			protocol,
			chain,
			hotkeyPair: hotkey,
			netuid: devnet.netuid,
			network: 'devnet',
			dataDir: join(dir, 'miners'),
			backend: 'cpu',
			// The current devnet serves a public Llama-3 config: its small "devnet" one speaks the byte tokenizer.
			model: protocol === 'current' ? 'devnet' : 'tiny',
			store,
			pollMs: 100,
			phasePollMs: 200,
			scorePollMs: 1000,
			localSteps: 1,
			clientBackoffMs: 200,
			drainMs: 60_000, // the swarm tests check a full drain; a loaded CI machine can need more than 4 s
			...opts.miner,
		});
		return {hotkey, store, handle, events, states};
	};
	const miners: SwarmMiner[] = [];
	for (const hotkey of hotkeys) {
		miners.push(await launch(hotkey));
		// One registration at a time: the devnet orchestrator balances layers by counting miners,
		// and concurrent register_miner calls can read the same counts.
		await untilAll([miners.at(-1)!], s => s.layer !== null || s.status === 'error', 60_000, 'registration');
	}
	return {
		devnet,
		chain,
		miners,
		dir,
		async restart(i) {
			await miners[i]!.handle.stop();
			miners[i] = await launch(miners[i]!.hotkey);
			return miners[i]!;
		},
		async close() {
			await Promise.all(miners.map(m => m.handle.stop()));
			await chain.close();
			await devnet.close();
			rmSync(dir, {recursive: true, force: true});
		},
	};
}

/** Resolves when `pred` holds for the state of every miner, or rejects after `ms` with what is missing. */
export function untilAll(miners: SwarmMiner[], pred: (s: MinerState) => boolean, ms: number, what: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const offs: (() => void)[] = [];
		const check = () => {
			if (miners.every(m => pred(m.store.getState()))) {
				clearTimeout(timer);
				offs.forEach(o => o());
				resolve();
			}
		};
		const timer = setTimeout(() => {
			offs.forEach(o => o());
			const detail = miners.map(m => {
				const s = m.store.getState();
				return `layer ${s.layer} ${s.status} epoch ${s.epoch} bwd ${s.backwardsSinceMerge} waiting ${s.waitingFor ?? '-'} err ${s.lastError ?? '-'}`;
			});
			reject(new Error(`timed out after ${ms} ms waiting for ${what}:\n  ${detail.join('\n  ')}`));
		}, ms);
		for (const m of miners) offs.push(m.store.subscribe(check));
		check();
	});
}
