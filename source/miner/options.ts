// What startMiner takes and hands back: options, the handle, the counters. Kept apart from the
// session so the CLI, the devnet's autostart and the tests depend on these shapes only.
import type {KeyringPair} from '@polkadot/keyring/types';
import type {ChainClient} from '../chain/client.js';
import type {RelayOption} from '../p2p/node.js';
import type {BackendChoice} from '../training/backend-names.js';
import type {ModelConfig} from '../training/config.js';
import type {SampleTokenizer} from '../training/head-data.js';
import type {MinerStore} from './types.js';

export type MinerOptions = {
	orchestratorUrl: string;
	/** Which miner protocol the orchestrator speaks: IOTA v1 (the default) or the current one (spec 30017, P2P activations). */
	protocol?: 'current' | 'v1';
	/** current: the bridge v2 peer registry (default: the orchestrator's /bridge, on the devnet only). */
	bridgeUrl?: string;
	/** The orchestrator is the local devnet's own (network profile): its /bridge may be used, P2P stays on loopback without relays. Unset: judged by a loopback URL. */
	devnetOnly?: boolean;
	/** current: the iroh endpoint's bind address and relays (default: loopback, no relay, for a loopback orchestrator). */
	p2p?: {bindAddr?: string; relay?: RelayOption};
	/** Chain for the uid and incentive/emission; `chain` (an open client) wins over `chainUrl`. */
	chainUrl?: string;
	chain?: ChainClient;
	hotkeyPair: KeyringPair;
	/** Lets the miner register the hotkey on chain itself when it is not registered yet. */
	coldkeyPair?: KeyringPair;
	/** --auto: with no uid (at start or after being pruned) register when the window is open and the burn is at most maxBurn (rao). */
	autoRegister?: {coldkey: KeyringPair; maxBurn: bigint};
	/** How often the chain's registration window and this hotkey's uid are read (default 12 s, a block). */
	chainWatchMs?: number;
	netuid?: number;
	/** Shown in the console (devnet, test, finney, custom). */
	network?: string;
	/** Upload queue and other miner files live here (one folder per hotkey). */
	dataDir: string;
	backend?: BackendChoice;
	/** Model config name or object; its stages must equal the orchestrator's layers (default devnet). */
	model?: string | ModelConfig;
	store: MinerStore;
	signal?: AbortSignal;
	/** Idle poll interval when there is no work (v1 sleeps 1 s). */
	pollMs?: number;
	/** is_merging poll interval while waiting for a phase (v1 10 s). */
	phasePollMs?: number;
	scorePollMs?: number;
	/** is_registered check interval (v1 100 s). */
	registrationCheckMs?: number;
	/** Optimizer step every N backward passes; default: once per merge (v1 local_all_reduce). */
	localSteps?: number;
	uploadConcurrency?: number;
	maxPendingUploads?: number;
	/** How long stop() waits for pending uploads before leaving them on disk for the next start (default 4 s, so SIGTERM ends within 10 s). */
	drainMs?: number;
	/** Hostnames presigned URLs may point at besides the orchestrator's (and the settings' store_hosts). */
	storeHosts?: string[];
	/** Text the head stage samples from (default: the system's license texts). */
	corpus?: string;
	/** Head-stage tokenizer (a Llama-3 tokenizer.json); default the byte tokenizer of the small configs. */
	tokenizer?: SampleTokenizer;
	seed?: number;
	clientAttempts?: number;
	clientBackoffMs?: number;
};

export type MinerHandle = {
	/** Drains the upload queue (up to drainMs), keeps the rest on disk, closes the worker. */
	stop(): Promise<void>;
	/** Settles when the miner has stopped (after stop(), the signal, or a fatal error). */
	done: Promise<void>;
	/** Counters the e2e test and the headless summary read. */
	stats(): MinerStats;
	/** The message of the fatal error that stopped the miner, if one did. */
	fatalError(): string | null;
};

export type MinerStats = {activationsUploaded: number; published: number; stale: number; merges: number; weightsSubmitted: number; partitionsMerged: number; uploadsFailed: number};
