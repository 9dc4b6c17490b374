// This machine's clock against the orchestrator's, read from its replies' Date headers: requests are
// signed with our time, so a skewed clock makes them stale; the miner names the skew instead of
// retrying refusals in silence.
import type {HttpResponse} from './http.js';

/** A skew this large (or more) is worth telling the user; the Date header has 1 s resolution. */
export const SKEW_WARN_MS = 5000;

export class ClockSkew {
	/** Local clock minus the orchestrator's, in ms (positive: we are ahead); null before any reply. */
	ms: number | null = null;

	note(res: HttpResponse, now = Date.now()): void {
		const date = Date.parse(String(res.headers.date ?? ''));
		// The header truncates to the second: the server's time was within [date, date + 1000).
		if (Number.isFinite(date)) this.ms = now - (date + 500);
	}

	/** A sentence naming the skew and the fix, or null while it is small. */
	text(): string | null {
		return this.ms !== null && Math.abs(this.ms) >= SKEW_WARN_MS ? skewText(this.ms) : null;
	}
}

export function skewText(ms: number): string {
	const s = Math.round(Math.abs(ms) / 1000);
	return `this machine's clock is ${s} s ${ms > 0 ? 'ahead of' : 'behind'} the orchestrator's, so signed requests can be refused as stale: sync it (timedatectl set-ntp true, or chrony/ntpd)`;
}
