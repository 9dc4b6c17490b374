// One miner session's shared state and helpers, passed to its modules and (as the ProtocolHost) to
// the protocol adapter: one object per startMiner, never module globals.
import type {ChainClient} from '../chain/client.js';
import {abortableSleep} from '../orchestrator/sleep.js';
import type {UploadQueue} from '../storage/upload-queue.js';
import type {TrainerClient} from '../training/client.js';
import type {ModelConfig} from '../training/config.js';
import type {SampleTokenizer} from '../training/head-data.js';
import type {TextSamples} from '../training/text-samples.js';
import {within} from './guards.js';
import {Links} from './links.js';
import type {MinerOptions, MinerStats} from './options.js';
import type {MinerProtocol, ProtocolHost, RunSettings} from './protocol.js';
import type {MinerEvent, Phase, UploadKind} from './types.js';

/** What a wait cut short by stop() throws. */
export class Stopped extends Error {
	constructor() {
		super('stopped');
	}
}

export class MinerContext implements ProtocolHost {
	readonly hotkey: string;
	readonly pollMs: number;
	readonly phasePollMs: number;
	readonly netuid: number;
	readonly stats: MinerStats = {activationsUploaded: 0, published: 0, stale: 0, merges: 0, weightsSubmitted: 0, partitionsMerged: 0, uploadsFailed: 0};
	/** Background pollers; stop() clears them. */
	readonly timers = new Set<NodeJS.Timeout>();
	readonly stopCtl = new AbortController();
	readonly stopSignal = this.stopCtl.signal;
	/** Aborted when stop() gives up draining: ends uploads and their publish calls in flight. */
	readonly uploadsCtl = new AbortController();
	readonly uploadsSignal = this.uploadsCtl.signal;
	/** Set right after construction: the adapter needs this context as its host. */
	protocol!: MinerProtocol;
	chain: ChainClient | null;
	ownChain = false;
	emulated = false;
	trainer: TrainerClient | null = null;
	queue: UploadQueue | null = null;
	layer = -1;
	/** The hotkey's uid on the chain (null: none, or no chain). */
	uid: number | null = null;
	settings: RunSettings | null = null;
	config!: ModelConfig;
	needRegister = false;
	/** A crashed worker coming back; the loop waits for it. */
	restarting: Promise<void> | null = null;
	crashes: number[] = [];
	backwardsSinceStep = 0;
	/** Optimizer steps since the merged layer was last loaded (a DiLoCo pseudo-gradient's local steps). */
	stepsSinceMerge = 0;
	lr: {value: number; at: number} | null = null;
	/** Activation uids whose forward input the worker holds. */
	readonly saved = new Set<string>();
	/** Work items given up in a row (unknown uid, bad reply): each one pauses longer. */
	dropped = 0;
	samples: TextSamples | null = null;
	sampleTokenizer: SampleTokenizer | null;
	fatalError: string | null = null;
	/** The clock skew last reported, in 5 s steps (0: none). */
	clockStep = 0;

	constructor(readonly opts: MinerOptions) {
		this.hotkey = opts.hotkeyPair.address;
		this.pollMs = opts.pollMs ?? 1000;
		this.phasePollMs = opts.phasePollMs ?? 2000;
		this.netuid = opts.netuid ?? 9;
		this.chain = opts.chain ?? null;
		this.sampleTokenizer = opts.tokenizer ?? null;
	}

	// Arrow properties: the helpers are handed around as callbacks.
	readonly now = () => Date.now();
	readonly dispatch = (event: MinerEvent) => {
		this.opts.store.dispatch(event);
		if (event.type === 'upload') this.links.fromUpload(event.item);
	};
	/** Reachability of the orchestrator, store and chain (upload events feed the store's). */
	readonly links = new Links(this.dispatch, this.now);
	readonly storeLink = (ok: boolean, detail: string) => this.links.set('store', ok, detail);
	readonly log = (level: 'info' | 'warn' | 'error', text: string) => this.dispatch({type: 'log', level, text, at: this.now()});
	readonly waiting = (what: string | null) => {
		if (this.opts.store.getState().waitingFor !== what) this.dispatch({type: 'waiting', what});
	};
	readonly heartbeat = () => {
		this.dispatch({type: 'heartbeat', at: this.now()});
		this.links.set('orchestrator', true);
	};
	readonly setPhase = (phase: Phase) => {
		const s = this.opts.store.getState();
		if (s.phase !== phase || s.layer !== this.layer) this.dispatch({type: 'phase', layer: this.layer, phase, at: this.now()});
	};
	readonly sleep = (ms: number) => abortableSleep(ms, this.stopSignal, () => new Stopped());
	readonly checkStop = () => {
		if (this.stopSignal.aborted) throw new Stopped();
	};

	/** Stops the miner with `message` as its fatal error (the first one wins). */
	readonly fatal = (message: string) => {
		if (this.fatalError) return;
		this.fatalError = message;
		this.dispatch({type: 'error', message, fatal: true, at: this.now()});
		this.stopCtl.abort();
	};

	readonly enqueue = async (key: string, kind: UploadKind, body: Uint8Array, meta?: Record<string, unknown>, after?: string): Promise<string> => {
		// Work that finishes after stop() (a slow worker call outlives the loop's 2 s) is not queued: the drain is over.
		this.checkStop();
		const q = this.queue!;
		if (q.full) this.dispatch({type: 'waiting', what: `upload queue full (${q.snapshot().filter(i => i.state !== 'failed').length} pending)`, queueFull: true});
		const queued = q.enqueue({key, kind, body, meta, after});
		// Counted when the job is really in the queue, even if stop() ends the wait for it first.
		if (kind === 'activation') void queued.then(() => this.stats.activationsUploaded++, () => {});
		const id = await within(queued, 30 * 60_000, 'a free slot in the upload queue', this.stopSignal, () => new Stopped());
		if (this.opts.store.getState().queue.full) this.dispatch({type: 'waiting', what: null, queueFull: false});
		return id;
	};

	readonly uploaded = (ids: string[], ms: number, what: string) => within(Promise.all(ids.map(id => this.queue!.whenDone(id))), ms, what, this.stopSignal, () => new Stopped());
}
