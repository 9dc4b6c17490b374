// What the current adapter remembers between handing out work and delivering its output: per activation
// the hashes it consumed and where a gradient goes back to, plus the queues of pushed work and samples.
import type {ActivationResponse} from '../../orchestrator/current/schemas.js';

/** A forward or backward pushed to us by a peer, its BLAKE3 taken on arrival. */
export type Pushed = {id: string; bytes: Uint8Array; hash: string; from: string; sourceNodeIds: string[]; sourceHotkey: string; samplePath: string | null};

export type ActivationRecord = {
	id: string;
	at: number;
	/** BLAKE3 of the forward input (the pushed activation; on layer 0 the token ids). */
	forwardInput?: string;
	/** BLAKE3 of the output gradient a backward consumed. */
	backwardInput?: string;
	/** Where the input gradient goes: the forward's producer. */
	sourceNodeIds: string[];
	/** The sample text's URL, passed on to the next layer for the last layer's targets. */
	samplePath: string | null;
	/** A spot check: PUT the forward output there once, then name the path in submit_activation. */
	spot: {url: string; path: string} | null;
	/** Our forward went out and its backward has not come back yet. */
	awaitingBackward: boolean;
};

export class Ledger {
	readonly forwards: Pushed[] = [];
	readonly backwards: Pushed[] = [];
	/** Layer 0: sample hand-outs from get_activations not started yet. */
	readonly samples: ActivationResponse[] = [];
	/** When layer 0 last asked for samples. */
	lastAsk = 0;
	private readonly records = new Map<string, ActivationRecord>();

	constructor(private readonly timeoutMs: number) {}

	get(id: string): ActivationRecord | undefined {
		return this.records.get(id);
	}

	put(r: ActivationRecord): void {
		this.records.set(r.id, r);
	}

	delete(id: string): void {
		this.records.delete(id);
	}

	/** Forwards still waiting for their backward (the cache); older ones are given up. */
	outstanding(now: number): number {
		let n = 0;
		for (const [id, r] of this.records) {
			if (now - r.at > this.timeoutMs) this.records.delete(id);
			else if (r.awaitingBackward) n++;
		}
		return n;
	}

	/** The layer left training: nothing handed out before the merge is worked on after it. */
	clear(): void {
		this.forwards.length = 0;
		this.backwards.length = 0;
		this.samples.length = 0;
		this.records.clear();
	}
}
