// The devnet orchestrator's miner score: validated work times the spot-check pass rate.
// Pure functions only; the counts come from score-book.ts, the checks from score-spotcheck.ts.

/** IOTA validators' thresholds for a recomputed activation against the miner's. */
export const COSINE_MIN = 0.9;
export const MAGNITUDE_RATIO_MIN = 0.8;
/** How many of a miner's latest spot-checks count toward its pass rate. */
export const SPOT_CHECK_WINDOW = 5;

export type Work = {
	/** Forward outputs the orchestrator accepted (object present in the store, task held by the miner). */
	forwards: number;
	/** Backward passes accepted the same way (the tail's forward+backward counts once). */
	backwards: number;
	weightsSubmitted: number;
	partitionsMerged: number;
};

export type Comparison = {cosine: number; magnitudeRatio: number; pass: boolean};

/** Cosine similarity and norm ratio (smaller over larger, so 1 = same length) of two activations. */
export function compareActivations(expected: Float32Array, actual: Float32Array): Comparison {
	if (expected.length !== actual.length || expected.length === 0) return {cosine: 0, magnitudeRatio: 0, pass: false};
	let dot = 0, ee = 0, aa = 0;
	for (let i = 0; i < expected.length; i++) {
		dot += expected[i]! * actual[i]!;
		ee += expected[i]! ** 2;
		aa += actual[i]! ** 2;
	}
	const ne = Math.sqrt(ee), na = Math.sqrt(aa);
	if (ne === 0 && na === 0) return {cosine: 1, magnitudeRatio: 1, pass: true};
	const cosine = ne > 0 && na > 0 ? dot / (ne * na) : 0;
	const magnitudeRatio = Math.max(ne, na) > 0 ? Math.min(ne, na) / Math.max(ne, na) : 0;
	return {cosine, magnitudeRatio, pass: cosine > COSINE_MIN && magnitudeRatio >= MAGNITUDE_RATIO_MIN};
}

/** Share of the latest checks (newest first) that passed; 1 while a miner has none. */
export function passRate(latestFirst: boolean[], window = SPOT_CHECK_WINDOW): number {
	const recent = latestFirst.slice(0, window);
	return recent.length === 0 ? 1 : recent.filter(Boolean).length / recent.length;
}

/** score = (forwards + backwards + weight submissions + merged partitions) x spot-check pass rate. */
export function scoreOf(work: Work, checksLatestFirst: boolean[]): number {
	const units = work.forwards + work.backwards + work.weightsSubmitted + work.partitionsMerged;
	return units * passRate(checksLatestFirst);
}

/** Scores -> u16 weights as setWeights takes them (largest = 65535); zero scores are left out. */
export function toWeights(scores: {uid: number; score: number}[]): {uids: number[]; weights: number[]} {
	const positive = scores.filter(s => s.score > 0 && Number.isFinite(s.score)).sort((a, b) => a.uid - b.uid);
	const max = Math.max(0, ...positive.map(s => s.score));
	const kept = positive.map(s => ({uid: s.uid, w: Math.round((s.score / max) * 65535)})).filter(s => s.w > 0);
	return {uids: kept.map(s => s.uid), weights: kept.map(s => s.w)};
}
