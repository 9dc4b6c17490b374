// The devnet orchestrator's settings: one typed object with v1-like defaults. Served to miners at
// GET /orchestrator/settings (the dashboard shows them).
import {z} from 'zod';

export const OrchestratorSettings = z.object({
	/** Pipeline stages (v1 MODEL_SPLITS length; 5 for the 15B run, 3 in MOCK). */
	layers: z.number().int().min(1).max(64).default(3),
	/** Backward passes a miner needs since the last merge to count as eligible (v1 GLOBAL_OPTIMIZER_STEPS). */
	batches_before_merging: z.number().int().min(1).default(10),
	/** Share of miners with enough backward passes that starts weights_uploading (v1 0.8). */
	upload_threshold: z.number().gt(0).max(1).default(0.8),
	/** Share of a layer's eligible miners that must submit weights to start merging (v1 0.8). */
	merge_threshold: z.number().gt(0).max(1).default(0.8),
	/** Share of sections that must be merged (strictly more than) to return to training (v1 0.3). */
	partitions_threshold: z.number().min(0).lt(1).default(0.3),
	/** A layer stuck outside is_training this long goes back to training (v1 3 h). */
	phase_timeout_s: z.number().positive().default(10_800),
	/** A handed-out activation not completed within this time goes back to the pool (v1 60 s). */
	activation_timeout_s: z.number().positive().default(60),
	/** A miner's cached forward input counts against its cache this long at most (IOTA v1: ACTIVATION_CACHE_TIMEOUT). */
	cache_timeout_s: z.number().positive().default(1200),
	/** Activations a miner may hold awaiting backward (v1 MAX_ACTIVATION_CACHE_SIZE 2). */
	cache_limit: z.number().int().min(1).default(2),
	/** Requests per second per hotkey per endpoint (v1 LIMIT 1/second). */
	rate_limit_per_s: z.number().positive().default(1),
	/** Requests per second per hotkey for /storage/activations/random (v1 HIGH_LIMIT 10/second). */
	rate_limit_random_per_s: z.number().positive().default(10),
	/** Epistula timestamp skew allowed, in ms (v1 SIGNATURE_TIMEOUT_MS). */
	signature_max_skew_ms: z.number().int().positive().default(10_000),
	/** How long a metagraph read is trusted before it is refreshed. */
	metagraph_ttl_s: z.number().positive().default(12),
	/** Learning rate schedule (v1 settings). */
	learning_rate: z.number().positive().default(2e-4),
	lr_warmup_steps: z.number().int().min(0).default(1),
	lr_const_steps: z.number().int().min(0).default(500),
	lr_total_steps: z.number().int().positive().default(100_000),
	lr_final_factor: z.number().min(0).max(1).default(0.1),
	lr_saw_cycle: z.number().int().positive().default(1000),
	/** Presigned GET lifetime for URLs handed to miners. */
	download_expires_s: z.number().int().positive().default(3600),
	/** The X-Orchestrator-Version string returned at registration. */
	version: z.string().min(1).default('devnet-1.0.0'),
});
export type OrchestratorSettings = z.infer<typeof OrchestratorSettings>;
export type OrchestratorSettingsInput = z.input<typeof OrchestratorSettings>;

export const defaultSettings = (): OrchestratorSettings => OrchestratorSettings.parse({});

export function resolveSettings(input: OrchestratorSettingsInput = {}): OrchestratorSettings {
	const r = OrchestratorSettings.safeParse(input);
	if (!r.success) {
		const issue = r.error.issues[0]!;
		throw new Error(`bad orchestrator setting ${issue.path.join('.')}: ${issue.message}`);
	}
	return r.data;
}
