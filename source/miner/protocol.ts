// What a miner session needs from an IOTA protocol version, in protocol-neutral terms. v1 (S3
// activations, averaged weights) is the first adapter; the interface leaves room for peer-to-peer
// activations and DiLoCo merging (see the notes on each type).
import type {QueuedJob} from '../storage/upload-queue.js';
import type {MinerStats} from './options.js';
import type {MinerEvent, Phase, Settings, UploadKind} from './types.js';

/** The session services an adapter may use; the session's context provides them. */
export interface ProtocolHost {
	readonly hotkey: string;
	/** This miner's layer (-1 until registered). */
	readonly layer: number;
	readonly stats: MinerStats;
	/** Aborted by stop(): ends the calls the loop waits on. */
	readonly stopSignal: AbortSignal;
	/** Aborted when stop() gives up draining: ends uploads and their publish calls in flight. */
	readonly uploadsSignal: AbortSignal;
	dispatch(event: MinerEvent): void;
	/** Whether the object store answered a transfer (a lost link is shown until one succeeds). */
	storeLink(ok: boolean, detail: string): void;
	log(level: 'info' | 'warn' | 'error', text: string): void;
	/** What the miner waits for right now (null: working). */
	waiting(what: string | null): void;
	/** Any successful reply from the orchestrator. */
	heartbeat(): void;
	/** Puts a body in the persistent upload queue (runUpload transfers it); resolves with its id. */
	enqueue(key: string, kind: UploadKind, body: Uint8Array, meta?: Record<string, unknown>, after?: string): Promise<string>;
	/** Waits for queued uploads, at most `ms`, and not past stop(). */
	uploaded(ids: string[], ms: number, what: string): Promise<unknown>;
}

export type Registration = {layer: number; version: string};

export type RunSettings = {
	layers: number;
	/** Backward passes per optimizer step when MinerOptions.localSteps is not set. */
	batchesBeforeMerging: number;
	/** How long a layer may stay outside training before the miner stops waiting for it. */
	phaseTimeoutS: number;
	/** What the dashboard shows (the `settings` event). */
	display: Settings;
	/** The run's [B, S] when the orchestrator sets it (current: model_metadata.dataset); else the model config's. */
	batch?: {size: number; seqLen: number};
	/** The run's use_AdamW flag: AdamW as the inner optimizer instead of NAdam. */
	useAdamW?: boolean;
	/** Where the head's samples come from: its own corpus (v1, the default) or the orchestrator (`sample` work). */
	headSamples?: 'local' | 'orchestrator';
};

/** A failure the session reacts to (fault() gives null for errors that are not the orchestrator's answer). */
export type Fault = {
	kind:
		| 'version' // the orchestrator runs another protocol version: fatal
		| 'unregistered' // it does not know this miner: register again
		| 'not_in_metagraph' // the hotkey is not (yet) in the subnet's metagraph
		| 'rate_limited'
		| 'unreachable' // no answer, or a server error
		| 'rejected'; // any other refusal
	/** The orchestrator's own words. */
	detail: string;
};

export type LayerPhase = {phase: Phase; /** sections the weights are cut into for merging */ sections: number};

/** Reads an item's tensor (torch.save bytes), at most `maxBytes`; a P2P adapter hands over pushed bytes after checking their hash. */
export type FetchTensor = (maxBytes: number) => Promise<Uint8Array>;

export type Work = (
	| {kind: 'forward'; id: string; input: FetchTensor; /** the last stage's token ids (v1: the initial activation) */ targets?: FetchTensor}
	| {kind: 'backward'; id: string; /** the output gradient */ input: FetchTensor}
	| {kind: 'sample'; id: string; /** the head's [B, S] token ids (torch.save int64), from the orchestrator's sample */ tokens: FetchTensor}
	| {kind: 'idle'; /** waiting on backwards for the activations this miner holds */ cacheFull: boolean}
	| {kind: 'unusable'} // the adapter logged why: pause before asking again
	| {kind: 'merge'} // the layer left training: run the merge sequence
) & {/** the phase the reply implies, if it implies one */ phase?: Phase};

/** A computed activation (forward) or input gradient (backward) to publish. */
export type Output = {
	id: string;
	direction: 'forward' | 'backward';
	body: Uint8Array;
	/** The head stage's token ids, for the last stage's loss (v1 uploads them as the initial activation). */
	tokenIds?: Uint8Array;
};

/** The worker's weights and optimizer state (bf16 bytes) at a weights_uploading phase. */
export type WeightsSubmission = {weights: Uint8Array; optimizerState: Uint8Array; sections: number; epoch: number; /** optimizer steps since the merged layer was loaded */ localSteps?: number};

/** One miner's share of a merge: the chunks (partitions) assigned to it and whose submissions they combine. */
export interface MergeRound {
	readonly chunks: number[];
	readonly sources: {hotkey: string; weight: number}[];
	/**
	 * Fetches each source's section of `chunk`, combines them (v1 averages weights and optimizer state;
	 * DiLoCo would average pseudo-gradients and take an outer Nesterov step) and queues the result's
	 * upload: the upload ids, or null when no source was usable.
	 */
	mergeChunk(chunk: number): Promise<string[] | null>;
	/** Tells the orchestrator where the merged chunks are: its message, or null when they were not needed. */
	publish(): Promise<string | null>;
}

/** The layer's merged weights, ready to splice into the worker's vectors. */
export interface MergedLayer {
	readonly parts: number;
	/** Downloads the parts into `weights` and `optimizerState` (bf16 values, changed in place); false: nothing was changed. */
	apply(weights: Uint16Array, optimizerState: Uint16Array): Promise<void | boolean>;
}

export interface MinerProtocol {
	/** The orchestrator, as the console shows it. */
	readonly url: string;

	// identity
	register(): Promise<Registration>;
	isRegistered(): Promise<boolean>;
	healthcheck(): Promise<void>;
	/** Local clock minus the orchestrator's, from its replies (null before any). */
	clockSkewMs(): number | null;
	settings(): Promise<RunSettings>;
	score(): Promise<number | null>;
	fault(error: unknown): Fault | null;

	// phases
	phase(layer: number): Promise<LayerPhase>;
	/** Merges the layer has completed. */
	epoch(layer: number): Promise<number>;

	// training
	nextWork(): Promise<Work>;
	/** Publishes an output (v1: queued upload, then a status update); resolves once it is safely queued. */
	deliver(output: Output): Promise<void>;
	/** Reports a last-stage loss; never throws (a lost report is only logged). */
	reportLoss(id: string, loss: number): Promise<void>;
	learningRate(): Promise<number>;

	// merging
	/** Uploads what the merge needs from this miner (v1: weights + optimizer state); false when not accepted. */
	submitWeights(submission: WeightsSubmission): Promise<boolean>;
	/** This miner's merge assignment; null when the layer no longer merges. */
	mergeRound(p: {epoch: number; numParams: number}): Promise<MergeRound | null>;
	/** The layer's merged weights; null when it has none yet. */
	mergedLayer(layer: number): Promise<MergedLayer | null>;

	/** Transfers one job of the persistent upload queue (and publishes it where the protocol wants that). */
	runUpload(job: QueuedJob): Promise<void>;

	/** Ends what the adapter runs besides requests (P2P endpoint, timers); stop() caps the wait. */
	close?(): Promise<void>;
}
