// Settings of the devnet's spec-30017 orchestrator: one run, its model and batch shape, queue, phases, limits.
import {z} from 'zod';
import {DEFAULT_CORPUS} from '../../training/data.js';
import {publicModels} from '../../training/llama3/config.js';

const share = z.number().gt(0).max(1);
const flagOverride = z.strictObject({enabled: z.boolean(), version: z.number().finite().optional()});

export const CurrentSettings = z.object({
	/** The one run the devnet serves (the real server picks among several). */
	run_id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only').default('devnet-run'),
	/** A config of training/llama3/config.ts; its stages are the run's layers. */
	model: z.string().refine(m => Object.hasOwn(publicModels, m), 'not a known model config').default('devnet'),
	/** The devnet model's 257-token vocabulary is the byte tokenizer of training/data.ts. */
	tokenizer_name: z.string().min(1).max(256).default('bytes'),
	mini_batch_size: z.number().int().min(1).max(1024).default(4),
	sequence_length: z.number().int().min(2).max(65_536).default(128),
	mini_batch_accumulation_count: z.number().int().min(1).max(1024).default(4),
	grad_clip_norm: z.number().positive().default(1),
	max_activation_cache_size: z.number().int().min(1).max(1024).default(4),
	/** Sections of every weights blob, and chunks merged per layer. */
	num_partitions: z.number().int().min(1).max(1024).default(4),
	max_miners_per_layer: z.number().int().min(1).max(10_000).default(16),
	/** Overrides of the documented run flag defaults, e.g. {attest: {enabled: true}}. */
	run_flags: z.record(z.string(), flagOverride).default({}),

	/** The queue asks for a confirmation (confirming -> register/confirm) before it assigns a layer. */
	confirmation_required: z.boolean().default(false),
	/** poll_after_seconds in queue replies. */
	queue_poll_after_s: z.number().min(0).max(3600).default(2),
	/** An entry stays queued at least this long before it is processed. */
	queue_hold_s: z.number().min(0).max(3600).default(0),
	/** A confirming entry not confirmed within this time expires. */
	confirm_timeout_s: z.number().positive().default(120),
	max_queue_entries: z.number().int().min(1).default(1000),

	/** Backward passes since the last merge that make a miner eligible to submit weights. */
	batches_before_merging: z.number().int().min(1).default(10),
	/** Share of active miners with enough backwards that starts weights_uploading. */
	upload_threshold: share.default(0.8),
	/** Share of a layer's eligible miners that must submit weights before merging starts. */
	merge_threshold: share.default(0.8),
	/** Share of the layer's chunks that must be merged before it trains again. */
	partitions_threshold: share.default(0.9),
	/** A layer outside training this long goes back to training. */
	phase_timeout_s: z.number().positive().default(1800),
	/** Miners not heard from this long do not count toward the thresholds. */
	miner_inactive_s: z.number().positive().default(300),

	/** Handed-out layer-0 activations older than this no longer count as outstanding. */
	activation_timeout_s: z.number().positive().default(600),
	max_activations_per_request: z.number().int().min(1).max(64).default(4),
	/** Share of layer-0 activations that get a spot-check upload URL. */
	spot_check_rate: z.number().min(0).max(1).default(0.01),
	corpus: z.string().min(1).default(DEFAULT_CORPUS),
	/** Sample text bytes per token of B*S (generous, so a BPE tokenizer also gets B*S tokens). */
	sample_bytes_per_token: z.number().int().min(1).max(64).default(6),
	max_samples: z.number().int().min(1).max(100_000).default(512),

	download_expires_s: z.number().int().positive().default(3600),
	upload_expires_s: z.number().int().positive().default(3600),
	max_upload_parts: z.number().int().min(1).max(10_000).default(1000),
	/** Multipart uploads a miner may have open (initiated, not completed) at once. */
	max_open_uploads: z.number().int().min(1).default(32),

	/** Epistula staleness window (the real value is not public; its tests use 60 s). */
	signature_timeout_s: z.number().positive().default(60),
	metagraph_ttl_s: z.number().positive().default(12),
	/** Requests per second per hotkey per route, and for the busy routes (heartbeat, activations). */
	rate_limit_per_s: z.number().positive().default(5),
	rate_limit_high_per_s: z.number().positive().default(20),

	/** Requests per second per client address on the unauthenticated routes (bridge, healthcheck). */
	public_rate_limit_per_s: z.number().positive().default(100),
	/** Bridge registry bounds; it is unauthenticated, so everything in it is capped. */
	bridge_max_variables: z.number().int().min(1).default(20_000),
	bridge_max_value_bytes: z.number().int().min(16).default(16 * 1024),
	bridge_idle_ttl_s: z.number().positive().default(3600),
});
export type CurrentSettings = z.infer<typeof CurrentSettings>;
export type CurrentSettingsInput = z.input<typeof CurrentSettings>;

/** A devnet that merges within minutes on a small machine: [2, 32] batches, a merge every 4 backward passes,
 * 2 chunks per layer, short timeouts and loose rate limits (tests, chaos, bench). */
export const QUICK_SETTINGS = {
	mini_batch_size: 2,
	sequence_length: 32,
	mini_batch_accumulation_count: 2,
	batches_before_merging: 4,
	num_partitions: 2,
	max_activation_cache_size: 3,
	phase_timeout_s: 120,
	rate_limit_per_s: 50,
	rate_limit_high_per_s: 200,
	public_rate_limit_per_s: 1000,
	metagraph_ttl_s: 2,
	queue_poll_after_s: 0.1,
	spot_check_rate: 0.1,
} satisfies CurrentSettingsInput;

export function resolveCurrentSettings(input: CurrentSettingsInput = {}): CurrentSettings {
	const r = CurrentSettings.safeParse(input);
	if (!r.success) {
		const issue = r.error.issues[0]!;
		throw new Error(`bad current orchestrator setting ${issue.path.join('.')}: ${issue.message}`);
	}
	return r.data;
}
