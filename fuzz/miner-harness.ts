// Runs the real miner runtime in-process against the fakes: one local chain with a registered
// hotkey shared by every run, a fresh data folder per run, and a stop() that must end within 10 s.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {KeyringPair} from '@polkadot/keyring/types';
import {startDevChain, type DevChain} from '../source/chain/devchain.js';
import {connectChain, type ChainClient} from '../source/chain/client.js';
import {newMnemonic, pairFromMnemonic} from '../source/wallet/keys.js';
import {startMiner, type MinerHandle, type MinerOptions} from '../source/miner/runtime.js';
import {createMinerStore} from '../source/miner/store.js';
import type {MinerEvent} from '../source/miner/types.js';
import type {Fakes} from './miner-fakes.js';

export type Shared = {chain: ChainClient; netuid: number; hotkeyPair: KeyringPair; close(): Promise<void>};

/** A local chain with one hotkey registered on its subnet (about 3 s). */
export async function startShared(): Promise<Shared> {
	const dev: DevChain = await startDevChain();
	const chain = await connectChain(dev.url);
	const coldkey = await pairFromMnemonic(newMnemonic());
	const hotkeyPair = await pairFromMnemonic(newMnemonic());
	await chain.fundFromFaucet(coldkey.address);
	await chain.burnedRegister(coldkey, hotkeyPair.address, dev.netuid);
	return {
		chain,
		netuid: dev.netuid,
		hotkeyPair,
		async close() {
			await chain.close().catch(() => {});
			await dev.close();
		},
	};
}

export type MinerRun = {
	handle: MinerHandle;
	events: MinerEvent[];
	dataDir: string;
	/** Calls stop(); resolves with the ms it took, or null when it did not end within `limitMs`. */
	stop(limitMs?: number): Promise<number | null>;
};

export async function runMiner(shared: Shared, fakes: Fakes, extra: Partial<MinerOptions> = {}): Promise<MinerRun> {
	const dataDir = mkdtempSync(join(tmpdir(), 'iota-fuzz-miner-'));
	const store = createMinerStore();
	const events: MinerEvent[] = [];
	store.subscribe((_s, e) => events.length < 5000 && events.push(e));
	const handle = await startMiner({
		orchestratorUrl: fakes.url,
		chain: shared.chain,
		netuid: shared.netuid,
		hotkeyPair: shared.hotkeyPair,
		dataDir,
		backend: 'cpu',
		model: 'tiny',
		store,
		pollMs: 250,
		phasePollMs: 250,
		scorePollMs: 600_000,
		registrationCheckMs: 600_000,
		clientBackoffMs: 100,
		clientAttempts: 3,
		...extra,
	});
	return {
		handle,
		events,
		dataDir,
		async stop(limitMs = 10_000) {
			const t0 = Date.now();
			let timer: NodeJS.Timeout | undefined;
			const ended = await Promise.race([
				Promise.all([handle.stop(), handle.done]).then(() => true),
				new Promise<false>(resolve => (timer = setTimeout(() => resolve(false), limitMs))),
			]);
			clearTimeout(timer);
			if (ended) rmSync(dataDir, {recursive: true, force: true});
			return ended ? Date.now() - t0 : null;
		},
	};
}

/** Polls `pred` every 50 ms until true or `ms` passed. */
export function until(pred: () => boolean, ms: number): Promise<boolean> {
	return new Promise(resolve => {
		const deadline = Date.now() + ms;
		const poll = () => (pred() ? resolve(true) : Date.now() > deadline ? resolve(false) : setTimeout(poll, 50));
		poll();
	});
}

/** An error text that is a programming error escaping the miner, not a one-line refusal. */
export const looksLikeCrash = (text: string) => /TypeError|RangeError|ReferenceError|SyntaxError: Unexpected|Cannot read prop|is not a function|ERR_STRING_TOO_LONG|Invalid array length|\n\s+at /.test(text);
