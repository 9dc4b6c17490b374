// The miner's vocabulary: events services emit, the one state object the reducer builds from them,
// and the store the UI and headless printers read. Shared contract of runtime, queue and views.

export type Phase = 'is_training' | 'weights_uploading' | 'miners_merging_partitions';
export type Direction = 'forward' | 'backward' | 'initial';
import type {UploadItem} from '../storage/upload-types.js';
export type {UploadItem, UploadKind, UploadState} from '../storage/upload-types.js';

export type MinerStatus =
	| 'starting' // connecting, checking chain registration
	| 'registering' // orchestrator register_miner
	| 'training' // fetching work, forward/backward
	| 'uploading_weights' // weights_uploading phase: upload weights + optimizer state, notify
	| 'merging' // miners_merging_partitions: download sections, merge, upload, notify
	| 'syncing' // downloading the merged layer
	| 'deregistered' // the hotkey lost its uid: paused (uploads kept) until it is registered again
	| 'stopping'
	| 'stopped'
	| 'error';

/** current: spec 30017 (P2P activations, DiLoCo); v1: mid-2025 (activations through the store). */
export type Protocol = 'current' | 'v1';
export type P2PCounters = {in: number; out: number; bytesIn: number; bytesOut: number; hashFailures: number; lastMs: number | null};

export type Settings = {batchesBeforeMerging: number; layers: number; [key: string]: unknown};

export type MinerEvent =
	| {type: 'started'; at: number; hotkey: string; network: string; chainUrl: string; orchestratorUrl: string}
	| {type: 'chain_registered'; uid: number; again?: {burnRao: string | null; block: number | null; at: number}} // again: after a deregistration
	| {type: 'deregistered'; uid: number; block: number | null; auto: boolean; at: number} // the hotkey lost its uid (pruned)
	| {type: 'registration'; info: RegistrationInfo} // the subnet's registration window, read each block or so
	| {type: 'registered'; layer: number; version: string; at: number}
	| {type: 'settings'; settings: Settings}
	| {type: 'backend'; name: string; detail: string}
	| {type: 'phase'; layer: number; phase: Phase; at: number}
	| {type: 'waiting'; what: string | null; queueFull?: boolean} // what the miner waits for right now (null: working); queueFull: upload backpressure on/off
	| {type: 'batch'; direction: Direction; activationUid: string; tokens: number; ms: number; at: number}
	| {type: 'loss'; value: number; at: number}
	| {type: 'lr'; value: number}
	| {type: 'upload'; item: UploadItem}
	| {type: 'published'; key: string; activationUid: string; at: number}
	| {type: 'merge_done'; layer: number; epoch: number; at: number}
	| {type: 'score'; score: number | null; incentive: number | null; emission: string | null; emulated: boolean; at: number}
	| {type: 'heartbeat'; at: number} // any successful orchestrator reply
	| {type: 'run'; protocol: Protocol; runId: string | null} // which protocol the miner speaks and the run it joined
	| {type: 'p2p'; direction: 'in' | 'out'; peer: string; bytes: number; ms: number; hashOk: boolean; at: number} // one peer-to-peer transfer
	| {type: 'link'; service: LinkService; ok: boolean; detail: string; at: number} // a service became unreachable (ok false) or reachable again
	| {type: 'worker_crash'; message: string; at: number}
	| {type: 'worker_restarted'; at: number}
	| {type: 'error'; message: string; fatal: boolean; at: number}
	| {type: 'log'; level: 'info' | 'warn' | 'error'; text: string; at: number}
	| {type: 'stopping'; at: number}
	| {type: 'stopped'; at: number};

/** The registration window as the views show it (rao as decimal strings: the state stays JSON). */
export type RegistrationInfo = {
	block: number;
	burnRao: string | null;
	/** The burn about a minute earlier (null until there is one). */
	burnBeforeRao: string | null;
	open: boolean;
	why: string | null; // why closed
	thisInterval: number | null;
	targetPerInterval: number | null;
	thisBlock: number | null;
	maxPerBlock: number | null;
	blocksUntilReset: number | null;
	subnetN: number | null;
	maxUids: number | null;
	immunityPeriod: number | null;
	/** --auto: the cap, and what the miner waits for while it has no uid. */
	capRao: string | null;
	waitingFor: string | null;
};

/** The services a miner talks to; a lost link to one is shown until it is back. */
export type LinkService = 'orchestrator' | 'store' | 'chain';
export type LinkState = {ok: boolean; detail: string; since: number};

export type LogLine = {at: number; level: 'info' | 'warn' | 'error'; text: string};

export type MinerState = {
	status: MinerStatus;
	waitingFor: string | null;
	hotkey: string | null;
	uid: number | null;
	network: string | null;
	chainUrl: string | null;
	orchestratorUrl: string | null;
	orchestratorVersion: string | null;
	protocol: Protocol | null;
	runId: string | null;
	p2p: P2PCounters;
	layer: number | null;
	layers: number | null; // stage `layer` of `layers`
	phase: Phase | null;
	epoch: number; // merges completed by this miner's layer since start
	settings: Settings | null;
	backend: {name: string; detail: string} | null;
	backwardsSinceMerge: number;
	forwards: number;
	backwards: number;
	lastHeartbeat: number | null;
	registration: RegistrationInfo | null;
	/** Set while the hotkey has lost its uid. */
	deregistered: {uid: number; block: number | null; at: number} | null;
	links: Partial<Record<LinkService, LinkState>>; // only services whose link changed at least once
	learningRate: number | null;
	uploads: UploadItem[]; // recent and pending uploads, newest last (bounded)
	queue: {pending: number; uploading: number; failed: number; done: number; bytesPending: number; full: boolean};
	published: number;
	score: {score: number | null; incentive: number | null; emission: string | null; emulated: boolean; at: number} | null;
	losses: number[]; // last N loss values (sparkline)
	tokensPerSec: number[]; // last N throughput samples (sparkline)
	log: LogLine[]; // last N lines
	lastError: string | null;
	startedAt: number | null;
};

export type MinerStore = {
	getState(): MinerState;
	dispatch(event: MinerEvent): void;
	subscribe(listener: (state: MinerState, event: MinerEvent) => void): () => void;
};
