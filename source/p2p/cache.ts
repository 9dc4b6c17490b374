// The activations this miner serves to pulls: TTL (IOTA's 3000 s), LRU under an entry and a byte cap, BLAKE3 beside each.
import {blake3Hex} from './hash.js';

export type CacheOptions = {ttlMs?: number; maxBytes?: number; maxEntries?: number; now?: () => number};
export type CacheEntry = {bytes: Uint8Array; hash: string; storedAt: number};
export type CacheLookup = {status: 'hit'; entry: CacheEntry} | {status: 'expired'} | {status: 'missing'};

/** Ids that timed out are remembered (up to this many) so a late pull hears EXPIRED, not NOT_FOUND. */
const MAX_TOMBSTONES = 4096;

export class ActivationCache {
	readonly ttlMs: number;
	readonly maxBytes: number;
	readonly maxEntries: number;
	private readonly now: () => number;
	private readonly entries = new Map<string, CacheEntry>();
	private readonly expired = new Set<string>();
	private total = 0;

	constructor(opts: CacheOptions = {}) {
		this.ttlMs = opts.ttlMs ?? 3_000_000;
		this.maxBytes = opts.maxBytes ?? 2 * 2 ** 30;
		this.maxEntries = opts.maxEntries ?? 100;
		this.now = opts.now ?? Date.now;
	}

	get size(): number { return this.entries.size; }
	get bytes(): number { return this.total; }

	/** Stores a copy of `bytes` (the caller may reuse its buffer) and returns the BLAKE3 hex. */
	async put(id: string, bytes: Uint8Array): Promise<string> {
		if (bytes.length > this.maxBytes) throw new RangeError(`activation ${id} is ${bytes.length} bytes, over the cache cap of ${this.maxBytes}`);
		const copy = bytes.slice();
		const hash = await blake3Hex(copy);
		this.delete(id);
		this.expired.delete(id);
		this.sweep();
		while (this.entries.size > 0 && (this.entries.size >= this.maxEntries || this.total + copy.length > this.maxBytes)) {
			this.delete(this.entries.keys().next().value!);
		}
		this.entries.set(id, {bytes: copy, hash, storedAt: this.now()});
		this.total += copy.length;
		return hash;
	}

	get(id: string): CacheLookup {
		const entry = this.entries.get(id);
		if (!entry) return {status: this.expired.has(id) ? 'expired' : 'missing'};
		if (this.now() - entry.storedAt > this.ttlMs) {
			this.expire(id);
			return {status: 'expired'};
		}
		// Re-insert: Map order is the LRU order, oldest first.
		this.entries.delete(id);
		this.entries.set(id, entry);
		return {status: 'hit', entry};
	}

	has(id: string): boolean { return this.get(id).status === 'hit'; }

	delete(id: string): boolean {
		const entry = this.entries.get(id);
		if (!entry) return false;
		this.entries.delete(id);
		this.total -= entry.bytes.length;
		return true;
	}

	/** Drops everything (IOTA clears its cache at epoch boundaries so stale activations are never served). */
	clear(): void {
		this.entries.clear();
		this.expired.clear();
		this.total = 0;
	}

	/** Moves entries past their TTL to the tombstones. */
	sweep(): void {
		const now = this.now();
		for (const [id, e] of this.entries) if (now - e.storedAt > this.ttlMs) this.expire(id);
	}

	private expire(id: string): void {
		this.delete(id);
		this.expired.add(id);
		if (this.expired.size > MAX_TOMBSTONES) this.expired.delete(this.expired.values().next().value!);
	}
}
