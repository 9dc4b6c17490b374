// The convergence run's settings: the devnet's current-protocol settings the swarm runs on, and how long it runs.
import type {CurrentSettingsInput} from '../../source/devnet/current/settings.js';
import {QUICK_SETTINGS} from '../../source/devnet/current/settings.js';

export type RunSettings = {
	/** Merge cycles every layer must finish before the swarm stops. */
	merges: number;
	/** The TF.js backend of the miners and of the single-process run. */
	backend: 'wasm' | 'cpu';
	/** Held-out batches both final models are evaluated on. */
	evalBatches: number;
	/** Training-loss moving-average window (batches) for the curves. */
	window: number;
	devnet: CurrentSettingsInput & {mini_batch_size: number; sequence_length: number; batches_before_merging: number};
};

/**
 * 3 stages x 2 miners of the devnet model; [4, 64] batches and a merge every 32 backward passes per miner keep a run
 * with 7 merge cycles (and both baselines) near 10-15 minutes on 2 cores. Rate limits and polls are loose so the swarm is not throttled.
 */
export const DEFAULT_SETTINGS: RunSettings = {
	merges: 7,
	backend: 'wasm',
	evalBatches: 8,
	window: 16,
	devnet: {...QUICK_SETTINGS, mini_batch_size: 4, sequence_length: 64, mini_batch_accumulation_count: 1, batches_before_merging: 32, spot_check_rate: 0},
};

/** CONVERGENCE_MERGES / CONVERGENCE_BEFORE_MERGING override the length of the run (a quick try, not the reported one). */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): RunSettings {
	const s = structuredClone(DEFAULT_SETTINGS);
	const int = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : undefined);
	s.merges = int(env.CONVERGENCE_MERGES) ?? s.merges;
	s.devnet.batches_before_merging = int(env.CONVERGENCE_BEFORE_MERGING) ?? s.devnet.batches_before_merging;
	if (env.CONVERGENCE_BACKEND === 'cpu' || env.CONVERGENCE_BACKEND === 'wasm') s.backend = env.CONVERGENCE_BACKEND;
	return s;
}
