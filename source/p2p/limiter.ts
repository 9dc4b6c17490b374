// At most N tasks in flight per key (IOTA sends at most 2 activations at a time to one peer); the rest queue in order.
export class KeyedLimiter {
	private readonly active = new Map<string, number>();
	private readonly queues = new Map<string, Array<() => void>>();
	/** Highest in-flight count seen per key (tests and the dashboard). */
	readonly peak = new Map<string, number>();

	constructor(readonly limit: number) {
		if (!(limit >= 1)) throw new RangeError('limit must be at least 1');
	}

	inFlight(key: string): number { return this.active.get(key) ?? 0; }

	async run<T>(key: string, task: () => Promise<T>): Promise<T> {
		if (this.inFlight(key) >= this.limit) {
			// The finishing task hands its slot straight to us, so no newcomer can slip in between.
			await new Promise<void>(resolve => {
				const q = this.queues.get(key) ?? [];
				q.push(resolve);
				this.queues.set(key, q);
			});
		} else {
			this.active.set(key, this.inFlight(key) + 1);
		}
		this.peak.set(key, Math.max(this.peak.get(key) ?? 0, this.inFlight(key)));
		try {
			return await task();
		} finally {
			this.release(key);
		}
	}

	private release(key: string): void {
		const q = this.queues.get(key);
		const next = q?.shift();
		if (q && q.length === 0) this.queues.delete(key);
		if (next) return next();
		const n = this.inFlight(key) - 1;
		if (n <= 0) this.active.delete(key);
		else this.active.set(key, n);
	}
}
