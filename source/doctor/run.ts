// Runs every doctor check (independent ones at once, each time-boxed) and returns them in a fixed order.
import type {BackendChoice} from '../training/backend-names.js';
import type {ModelConfig} from '../training/config.js';
import type {WalletRef} from '../wallet/wallet.js';
import type {MinerProtocolName} from '../chain/networks.js';
import {errorMessage} from '../errors.js';
import {checkBackend} from './backend.js';
import {checkChain} from './chain.js';
import {nodeVersionCheck} from './node-version.js';
import {checkOrchestrator} from './orchestrator.js';
import {checkP2P} from './p2p.js';
import {checkResources} from './resources.js';
import {checkStore} from './store.js';
import {fail, timeBox, type Check} from './types.js';
import {checkWallet} from './wallet.js';

export type DoctorTarget = {
	chainUrl: string;
	/** The local devnet: blocks on demand, no relays, devnet fixes. */
	local: boolean;
	netuid: number;
	orchestratorUrl: string | null;
	protocol: MinerProtocolName;
	storeUrl: string | null;
	wallet: WalletRef;
	model: ModelConfig;
	backend: BackendChoice;
	dataDir: string;
	/** Network checks' time limit (default 4 s); the backend and the P2P node get twice that. */
	timeoutMs?: number;
};

export const ORDER = ['node_version', 'backend', 'device', 'disk', 'memory', 'clock_chain', 'clock_orchestrator', 'chain', 'orchestrator', 'object_store', 'iroh', 'wallet', 'wallet_modes', 'registration'];

/** A group that threw or overran its limit still reports each of its checks, as failed. */
async function group(names: string[], blocking: string[], limitMs: number, run: () => Promise<Check[]>): Promise<Check[]> {
	try {
		return await timeBox(run(), limitMs);
	} catch (error) {
		return names.map(name => fail(name, `check failed: ${errorMessage(error)}`, 'run `iota-tui doctor` again; report it if it persists', blocking.includes(name)));
	}
}

export async function runDoctor(t: DoctorTarget): Promise<Check[]> {
	const timeoutMs = t.timeoutMs ?? 4000;
	const slow = timeoutMs * 2;
	const walletAndKey = checkWallet(t.wallet);
	const wallet = group(['wallet', 'wallet_modes'], ['wallet'], timeoutMs, async () => (await walletAndKey).checks);
	const hotkey = walletAndKey.then(w => w.hotkey, () => null);
	const all = await Promise.all([
		[nodeVersionCheck()],
		group(['backend', 'device'], [], slow, () => checkBackend(t.backend, slow - 500)),
		group(['disk', 'memory'], [], timeoutMs, () => checkResources(t.model, t.dataDir)),
		group(['chain', 'clock_chain', 'registration'], ['chain', 'registration'], timeoutMs * 2 + 1000, () =>
			checkChain({url: t.chainUrl, local: t.local, netuid: t.netuid, timeoutMs}, hotkey)),
		group(['orchestrator', 'clock_orchestrator'], ['orchestrator'], timeoutMs + 500, () =>
			checkOrchestrator({url: t.orchestratorUrl, protocol: t.protocol, local: t.local, timeoutMs})),
		group(['object_store'], [], timeoutMs + 500, async () => [await checkStore(t.storeUrl, timeoutMs)]),
		group(['iroh'], [], slow, async () => [await checkP2P({hotkey: await hotkey, local: t.local, timeoutMs: slow - 1000})]),
		wallet,
	]);
	return all.flat().sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
}
