// Token buckets per (hotkey, endpoint): `perSecond` requests a second with bursts of the same size.
export class RateLimiter {
	private readonly buckets = new Map<string, {tokens: number; at: number}>();

	/** False when the request must be refused with 429. */
	take(key: string, perSecond: number, nowMs: number): boolean {
		const capacity = Math.max(1, perSecond);
		const b = this.buckets.get(key) ?? {tokens: capacity, at: nowMs};
		b.tokens = Math.min(capacity, b.tokens + ((nowMs - b.at) / 1000) * perSecond);
		b.at = nowMs;
		const ok = b.tokens >= 1;
		if (ok) b.tokens -= 1;
		this.buckets.set(key, b);
		if (this.buckets.size > 50_000) this.buckets.clear();
		return ok;
	}
}
