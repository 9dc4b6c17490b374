// Event-loop delay of this process (perf_hooks histogram), opt-in with IOTA_TUI_LOOP_DELAY=1: the miner's
// status file then carries event_loop_p99_ms, which `npm run bench -- --suite devnet` reads.
import {monitorEventLoopDelay} from 'node:perf_hooks';

export type LoopDelayStats = {event_loop_p99_ms: number; event_loop_max_ms: number; event_loop_mean_ms: number; event_loop_since: number};
export type LoopDelay = {stats(): LoopDelayStats; reset(): void; close(): void};

export const loopDelayWanted = (env: NodeJS.ProcessEnv = process.env) => env.IOTA_TUI_LOOP_DELAY === '1';

const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;

/** Samples every resolutionMs; stats() covers the time since start or the last reset(). */
export function startLoopDelay(resolutionMs = 10, now: () => number = Date.now): LoopDelay {
	const h = monitorEventLoopDelay({resolution: resolutionMs});
	h.enable();
	let since = now();
	return {
		// An empty histogram reports NaN mean and a huge min: report zeros until a sample lands.
		stats: () => (h.count === 0
			? {event_loop_p99_ms: 0, event_loop_max_ms: 0, event_loop_mean_ms: 0, event_loop_since: since}
			: {event_loop_p99_ms: ms(h.percentile(99)), event_loop_max_ms: ms(h.max), event_loop_mean_ms: ms(h.mean), event_loop_since: since}),
		reset() {
			h.reset();
			since = now();
		},
		close: () => h.disable(),
	};
}
