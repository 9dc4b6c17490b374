// What every fuzz target reports: one row per target (keep the shape: outside checks read fuzz.json).
export type FuzzRow = {
	target: string;
	tried: number; // hostile inputs sent
	crashed: number; // the process under test died or threw out of its handlers
	accepted: number; // hostile input taken as valid (2xx, or the miner acted on it)
	fivexx: number; // answered 5xx instead of a 4xx with a reason
	hung: number; // no answer or no stop within the deadline
};

export type FuzzOptions = {
	reduced: boolean; // a short run for npm test
	log: (line: string) => void;
};

export type FuzzTarget = {name: string; run(opts: FuzzOptions): Promise<FuzzRow[]>};
