// The soak's verdict, "flat after warm-up": for every process's RSS and open fds and for the upload queue,
// the mean over the last third of the samples after warm-up against the first of them, within a tolerance
// (and the last third's slope per hour, for the reader).
import type {Sample} from './sample.js';

export const TOLERANCE = {rssRel: 0.2, rssAbsMb: 32, fdRel: 0.2, fdAbs: 8, queueAbs: 10};

export type Check = {what: string; baseline: number; last_third_mean: number; slope_per_h: number; limit: number; flat: boolean};
/** flat: null when there were too few samples after warm-up to judge. */
export type Verdict = {flat: boolean | null; summary: string; baseline_t_min: number | null; tolerance: typeof TOLERANCE; checks: Check[]; training: Training | null};
/** A stalled swarm is flat too: the verdict also asks that batches and merges kept rising over the last third. */
export type Training = {batches_last_third: number; merges_last_third: number; still_training: boolean};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Least-squares slope of y over t (minutes), per hour. */
function slopePerHour(ts: number[], ys: number[]): number {
	const mt = mean(ts), my = mean(ys);
	const den = ts.reduce((a, t) => a + (t - mt) ** 2, 0);
	return den === 0 ? 0 : (ts.reduce((a, t, i) => a + (t - mt) * (ys[i]! - my), 0) / den) * 60;
}

type Series = {what: string; points: {t: number; v: number}[]; limit: (base: number) => number};

function series(samples: Sample[]): Series[] {
	const out = new Map<string, Series>();
	const add = (what: string, t: number, v: number | null, limit: (b: number) => number) => {
		if (v === null) return;
		const s = out.get(what) ?? {what, points: [], limit};
		s.points.push({t, v});
		out.set(what, s);
	};
	for (const s of samples) {
		for (const p of s.procs) {
			add(`${p.role} ${p.pid} rss_mb`, s.t_min, p.rss_mb, b => b * TOLERANCE.rssRel + TOLERANCE.rssAbsMb);
			add(`${p.role} ${p.pid} fds`, s.t_min, p.fds, b => b * TOLERANCE.fdRel + TOLERANCE.fdAbs);
		}
		add('upload queue files', s.t_min, s.queue_files, () => TOLERANCE.queueAbs);
		add('upload queue jobs', s.t_min, s.queue_jobs, () => TOLERANCE.queueAbs);
	}
	return [...out.values()];
}

/** warmupEndMin: minutes from the soak's start (every miner's first batch plus the warm-up); null when they never all trained. */
export function verdict(samples: Sample[], warmupEndMin: number | null): Verdict {
	const after = warmupEndMin === null ? [] : samples.filter(s => s.t_min >= warmupEndMin);
	const base = after[0];
	if (!base || after.length < 2) return {flat: null, summary: `too few samples after warm-up to judge (${after.length}; need 2)`, baseline_t_min: base?.t_min ?? null, tolerance: TOLERANCE, checks: [], training: null};
	const lastFrom = after[after.length - Math.max(1, Math.ceil(after.length / 3))]!.t_min;
	const checks: Check[] = [];
	for (const s of series(after)) {
		const first = s.points.find(p => p.t === base.t_min);
		const last = s.points.filter(p => p.t >= lastFrom);
		if (!first || !last.length) continue; // a process that came or went mid-run: no like-for-like pair
		const lastMean = mean(last.map(p => p.v));
		const limit = s.limit(first.v);
		checks.push({what: s.what, baseline: first.v, last_third_mean: Math.round(lastMean * 10) / 10, slope_per_h: Math.round(slopePerHour(last.map(p => p.t), last.map(p => p.v)) * 10) / 10,
			limit: Math.round(limit * 10) / 10, flat: lastMean - first.v <= limit});
	}
	const grew = checks.filter(c => !c.flat);
	const training = trainingOver(after, lastFrom);
	const flatText = grew.length ? `grew after warm-up: ${grew.map(c => `${c.what} ${c.baseline} -> ${c.last_third_mean}`).join('; ')}` : `flat after warm-up (${checks.length} series within tolerance)`;
	const trainText = training.still_training
		? `still training (${training.batches_last_third} batches, ${training.merges_last_third} merges in the last third)`
		: `stalled: ${training.batches_last_third} batches, ${training.merges_last_third} merges in the last third`;
	return {flat: grew.length === 0 && training.still_training, summary: `${flatText}; ${trainText}`, baseline_t_min: base.t_min, tolerance: TOLERANCE, checks, training};
}

function trainingOver(after: Sample[], lastFrom: number): Training {
	const before = [...after].reverse().find(s => s.t_min < lastFrom) ?? after[0]!;
	const last = after.at(-1)!;
	const batches = last.batches - before.batches, merges = last.merges - before.merges;
	return {batches_last_third: batches, merges_last_third: merges, still_training: batches > 0 && merges > 0};
}

/** Disk growth is expected (the store keeps every merge's uploads): reported per hour, not judged. */
export function growthPerHour(samples: Sample[]): string {
	const a = samples[0], b = samples.at(-1);
	if (!a || !b || b.t_min <= a.t_min) return 'growth: not enough samples';
	const perH = (x: number, y: number) => (((y - x) / 2 ** 20) * 60) / (b.t_min - a.t_min);
	return `growth per hour: store ${perH(a.store_bytes, b.store_bytes).toFixed(0)} MB, log ${perH(a.log_bytes, b.log_bytes).toFixed(1)} MB, db ${perH(a.db_bytes, b.db_bytes).toFixed(1)} MB`;
}
