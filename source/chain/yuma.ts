// Simplified Yuma consensus (subtensor's epoch without the bond EMA), pure and float64.
// The devnet runtime (spec 218) runs a mock epoch that writes zeros, so the devnet chain hook
// recomputes these vectors from the real on-chain weights with this function.

export type YumaInput = {
	/** Stake per uid (any unit; normalised here). */
	stake: number[];
	/** weights[i] = the row validator i set: [target uid, raw u16 weight] pairs. */
	weights: [number, number][][];
	/** Block at which each row was last set (LastUpdate). */
	lastUpdate: number[];
	/** Block at which each uid registered (weights older than this on a target are dropped). */
	registeredAt: number[];
	block: number;
	activityCutoff: number;
	maxValidators: number;
	/** Kappa as a fraction (subtensor stores u16; 32767/65535 ~ 0.5). */
	kappa: number;
};

export type YumaOutput = {
	active: boolean[];
	permit: boolean[];
	consensus: number[];
	rank: number[];
	trust: number[];
	incentive: number[];
	dividends: number[];
	validatorTrust: number[];
};

export const normalize = (v: number[]): number[] => {
	const sum = v.reduce((a, b) => a + b, 0);
	return sum > 0 ? v.map(x => x / sum) : v.map(() => 0);
};

/** Top-k uids by stake get a permit (ties: lower uid first); zero stake never does. */
export function topK(stake: number[], k: number): boolean[] {
	const order = stake.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
	const permit = stake.map(() => false);
	for (const [s, i] of order.slice(0, k)) if (s > 0) permit[i] = true;
	return permit;
}

/** Largest value c in the column such that validators weighting it at >= c hold >= kappa of the stake. */
export function stakeWeightedMedian(column: number[], stake: number[], kappa: number): number {
	const order = column.map((w, i) => [w, stake[i]!] as const).filter(([, s]) => s > 0).sort((a, b) => b[0] - a[0]);
	let cum = 0;
	for (const [w, s] of order) {
		cum += s;
		if (cum >= kappa - 1e-12) return w;
	}
	return 0;
}

export function yuma(input: YumaInput): YumaOutput {
	const n = input.stake.length;
	const active = input.lastUpdate.map(u => u + input.activityCutoff >= input.block);
	const permit = topK(input.stake, input.maxValidators);
	// Only active, permitted validators vote; their stake shares sum to 1.
	const S = normalize(input.stake.map((s, i) => (active[i] && permit[i] ? s : 0)));
	// Row-normalised weights: permitted rows only, no self weight, none older than the target's registration.
	const W = Array.from({length: n}, (_, i) => {
		const row = new Array<number>(n).fill(0);
		if (!permit[i]) return row;
		for (const [j, w] of input.weights[i] ?? []) {
			if (j === i || j >= n) continue;
			if ((input.lastUpdate[i] ?? 0) <= (input.registeredAt[j] ?? 0)) continue;
			row[j] = w;
		}
		return normalize(row);
	});
	const col = (M: number[][], j: number) => M.map(r => r[j]!);
	const consensus = Array.from({length: n}, (_, j) => stakeWeightedMedian(col(W, j), S, input.kappa));
	const clipped = W.map(r => r.map((w, j) => Math.min(w, consensus[j]!)));
	const preRank = Array.from({length: n}, (_, j) => col(W, j).reduce((a, w, i) => a + w * S[i]!, 0));
	const rank = Array.from({length: n}, (_, j) => col(clipped, j).reduce((a, w, i) => a + w * S[i]!, 0));
	const trust = rank.map((r, j) => (preRank[j]! > 0 ? r / preRank[j]! : 0));
	const incentive = normalize(rank);
	const validatorTrust = clipped.map(r => r.reduce((a, b) => a + b, 0));
	// Bonds without the EMA: each column of clipped W (x) S normalised to 1.
	const bonds = clipped.map((r, i) => r.map(w => w * S[i]!));
	const colSum = Array.from({length: n}, (_, j) => col(bonds, j).reduce((a, b) => a + b, 0));
	const dividends = normalize(bonds.map(r => r.reduce((a, b, j) => a + (colSum[j]! > 0 ? (b / colSum[j]!) * incentive[j]! : 0), 0)));
	return {active, permit, consensus, rank, trust, incentive, dividends, validatorTrust};
}

/** Subtensor stores proportions as u16 (x * 65535, truncated). */
export const toU16 = (x: number): number => Math.max(0, Math.min(65535, Math.floor(x * 65535 + 1e-9)));

/**
 * Splits the chain's total emission by (incentive + dividends) / 2, like Yuma's server/validator halves.
 * Returns null when nobody has incentive (then the chain's own split stands).
 */
export function splitEmission(total: bigint, incentive: number[], dividends: number[]): bigint[] | null {
	if (!incentive.some(x => x > 0)) return null;
	const share = incentive.map((x, i) => (x + (dividends[i] ?? 0)) / 2);
	const SCALE = 1_000_000_000n;
	return share.map(s => (total * BigInt(Math.round(s * 1e9))) / SCALE);
}
