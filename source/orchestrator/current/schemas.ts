// Spec 30017 request and reply shapes (api_models.py, run_flags.py, ml_models.py, partitions.py), bounded.
// Requests are strict (we build them); replies ignore unknown keys as pydantic does, but every
// string, number and list in them is capped so a hostile orchestrator cannot blow memory.
import {z} from 'zod';

// ---- bounds
export const MAX_NUM_PARTS = 10_000;
const MAX_LAYER = 1023;
const MAX_PARTITIONS = 100_000;
const Str = (max: number) => z.string().max(max);
const Id = Str(256);
const Path = Str(2048);
const Url = Str(8192);
const Text = Str(4096);
const Int = (min: number, max: number) => z.number().int().min(min).max(max);
const Count = Int(0, Number.MAX_SAFE_INTEGER);
const Real = z.number().finite();
/** A pydantic field `X | None = None`. */
const opt = <T extends z.ZodType>(s: T) => s.nullable().optional();
/** ss58 alphabet and length (hotkeys and coldkeys). */
export const Ss58 = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{46,48}$/, 'not an SS58 address');
/** A small JSON object of unknown shape (error dicts, stats). */
const SmallRecord = z.record(Str(128), z.unknown()).refine(o => Object.keys(o).length <= 256, 'too many keys');

export const LayerPhase = z.enum(['training', 'weights_uploading', 'merging_partitions']);
export type LayerPhase = z.infer<typeof LayerPhase>;
export const Direction = z.enum(['forward', 'backward']);
export const AttestationAction = z.enum(['registration', 'weights', 'merged_partitions', 'submit_activation']);
export type AttestationAction = z.infer<typeof AttestationAction>;
export const FileType = z.enum(['weights', 'optimizer_state', 'activation', 'partition']);
export const QueueState = z.enum(['queued', 'confirming', 'confirmed', 'processing', 'succeeded', 'failed', 'expired']);

// ---- run flags: each {enabled, version}; three default to on
const RunFlag = z.object({enabled: z.boolean().default(false), version: Real.default(1)});
const flag = (enabled = false) => RunFlag.default({enabled, version: 1});
export const RunFlags = z.object({
	test_flag: flag(),
	compress_s3_files: flag(),
	attest: flag(),
	keep_cache_on_local_step: flag(),
	upload_optimizer_state: flag(),
	enforce_min_local_optimizer_steps: flag(),
	weighted_partition_averaging: flag(true),
	clip_pseudo_gradients: flag(),
	use_AdamW: flag(),
	peer_eviction: flag(),
	auto_max_cache: flag(),
	sync_patches: flag(true),
	auto_local_batch_size: flag(true),
	trusted_fleet: flag(),
});
export type RunFlags = z.infer<typeof RunFlags>;

// ---- model config and metadata (every field optional)
export const ModelConfig = z.object({
	model_name: opt(Id),
	total_global_params: opt(Count),
	vocab_size: opt(Int(1, 10_000_000)),
	context_length: opt(Int(1, 10_000_000)),
	orig_context_length: opt(Int(1, 10_000_000)),
	emb_dim: opt(Int(1, 1_000_000)),
	bottleneck_dim: opt(Int(0, 1_000_000)),
	quantize_activations: opt(z.boolean()),
	quantize_activations_grads: opt(z.boolean()),
	quantize_weights: opt(z.boolean()),
	n_heads: opt(Int(1, 10_000)),
	n_layers: opt(Int(1, 10_000)),
	hidden_dim: opt(Int(1, 10_000_000)),
	n_kv_groups: opt(Int(1, 10_000)),
	rope_base: opt(Real),
	dtype: opt(Str(32)),
	rope_freq: opt(z.record(Str(64), Real).refine(o => Object.keys(o).length <= 32, 'too many keys')),
	s3_download_timeout: opt(Count),
	s3_upload_timeout: opt(Count),
	activation_timeout: opt(Count),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

export const ModelMetadata = z.object({
	model_splits: opt(z.array(z.array(z.number().int()).max(1024)).max(1024)),
	model_size: opt(Str(64)),
	n_splits: opt(Int(1, 1024)),
	tokenizer_name: opt(Id),
	effective_batch_size: opt(Count),
	mini_batch_accumulation_count: opt(Int(1, 1_000_000)),
	grad_clip_norm: opt(Real),
	total_train_steps: opt(Count),
	lr: opt(z.object({
		warmup_start_factor: opt(Real),
		warmup_steps: opt(Count),
		const_steps: opt(Count),
		tail_steps_frac: opt(Real),
		final_factor: opt(Real),
		saw_cycle_length: opt(Count),
	})),
	opt: opt(z.object({learning_rate: opt(Real), weight_decay: opt(Real), betas: opt(z.array(Real).max(4)), eps: opt(Real)})),
	dataset: opt(z.object({dataset_name: opt(Id), shuffle_dataset: opt(z.boolean()), sequence_length: opt(Int(1, 10_000_000)), mini_batch_size: opt(Int(1, 1_000_000))})),
	miners_per_layer: opt(z.array(Count).max(1024)),
	// The miner reads activation.max_activation_cache_size; that model is not public (UNCONFIRMED).
	activation: opt(z.object({max_activation_cache_size: opt(Int(0, 1_000_000))})),
});
export type ModelMetadata = z.infer<typeof ModelMetadata>;

// ---- partitions (utils/partitions.py: every field optional)
const chunkNumber = z.union([Int(0, MAX_PARTITIONS), z.literal('all')]);
const partitionFields = {
	layer: opt(Int(0, MAX_LAYER)),
	chunk_number: opt(chunkNumber),
	miner_hotkey: opt(Id),
	blob_path: opt(Url),
	other_miner_hotkey: opt(Id),
};
export const MinerPartition = z.object(partitionFields);
export type MinerPartition = z.infer<typeof MinerPartition>;
export const MinerPartitions = z.array(MinerPartition).max(MAX_PARTITIONS);
/** A partition as a miner submits it. */
export const MinerPartitionRequest = z.strictObject({...partitionFields, miner_hotkey: opt(Ss58), other_miner_hotkey: opt(Ss58), blob_path: opt(Path)});
export type MinerPartitionInput = z.input<typeof MinerPartitionRequest>;

// ---- attestation: a union of three payloads (iota-tui never produces one)
const B64 = Str(64 * 1024);
export const MinerAttestationPayload = z.strictObject({payload_blob: Str(1024 * 1024), encrypted_attestation: opt(Str(1024 * 1024))});
export const MountedAttestationPayload = z.strictObject({
	schema_version: Int(0, 1_000_000),
	key_id: Id,
	public_key_base64: B64,
	payload_base64: Str(1024 * 1024),
	signature_der_base64: B64,
	payload_sha256_base64: B64,
	alg: z.literal('ES256'),
	challenge_id: opt(Id),
});
export const EnclaveSignResponse = z.strictObject({key_id: Id, signature_der_base64: B64, alg: z.literal('ES256'), challenge_id: opt(Id)});
export const Attestation = z.union([MinerAttestationPayload, MountedAttestationPayload, EnclaveSignResponse]);
export type Attestation = z.infer<typeof Attestation>;
export const EnclavePayload = z.strictObject({key_id: Id, public_key_base64: B64, alg: z.literal('ES256')});
export type EnclavePayload = z.infer<typeof EnclavePayload>;

export const AttestationChallengeRequest = z.strictObject({action: AttestationAction, run_id: opt(Id)});
export const AttestationChallenge = z.object({
	action: AttestationAction,
	// JSON text holding challenge_id.
	attestation_challenge_blob: Str(64 * 1024),
	self_checks: z.array(Str(1024)).max(256),
	crypto: Str(64 * 1024),
	expires_at: Real,
});
export type AttestationChallenge = z.infer<typeof AttestationChallenge>;

// ---- registration
export const NodeLocation = z.strictObject({
	ip: opt(Str(64)),
	country: opt(Id),
	country_code: opt(Str(8)),
	region: opt(Id),
	city: opt(Id),
	latitude: opt(Real.min(-90).max(90)),
	longitude: opt(Real.min(-180).max(180)),
	timezone: opt(Str(64)),
	isp: opt(Id),
	org: opt(Id),
});
export type NodeLocation = z.infer<typeof NodeLocation>;

/** POST /miner/register. No run_id: the server picks the run. */
export const RegisterMinerRequest = z.strictObject({
	attestation: opt(Attestation),
	coldkey: opt(Ss58),
	register_as_metagraph_miner: z.boolean().optional(),
	enclave_payload: opt(EnclavePayload),
	p2p_node_id: z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII'),
	// MinerSystemData as JSON text: {gpus[], chip_info{machine,cpu,cores,memory_gb}, bandwidth?}.
	system_data: opt(Str(64 * 1024)),
	location: opt(NodeLocation),
});
export type RegisterMinerRequest = z.input<typeof RegisterMinerRequest>;

export const RegisterConfirmRequest = z.strictObject({attestation: opt(Attestation), enclave_payload: opt(EnclavePayload)});
export const PayoutColdkeyRequest = z.strictObject({payout_coldkey: Ss58});

export const MinerRegistrationResponse = z.object({
	layer: opt(Int(0, MAX_LAYER)),
	current_epoch: opt(Count),
	model_cfg: opt(ModelConfig),
	model_metadata: opt(ModelMetadata),
	run_id: Id,
	run_flags: RunFlags,
	num_partitions: Int(1, MAX_PARTITIONS),
	// The orchestrator's MinerStatus for us (initializing, frozen, ...); absent from older servers.
	status: opt(Str(64)),
});
export type MinerRegistrationResponse = z.infer<typeof MinerRegistrationResponse>;

export const RegistrationQueueStatus = z.object({
	queue_id: z.string().min(1).max(256),
	status: QueueState,
	position: opt(Count),
	poll_after_seconds: Real.min(0).max(86_400).default(5),
	confirmation_required: z.boolean().default(false),
	selected_run_id: opt(Id),
	reserved_until: opt(Id),
	payload_mismatch: z.boolean().default(false),
	detail: opt(Text),
	response: opt(MinerRegistrationResponse),
	error: opt(SmallRecord),
});
export type RegistrationQueueStatus = z.infer<typeof RegistrationQueueStatus>;

/** /miner/register and /miner/register/status reply: a queue status (it has a queue_id) or the final answer. */
export const RegistrationReply = z.union([RegistrationQueueStatus, MinerRegistrationResponse]);
export type RegistrationReply = MinerRegistrationResponse | RegistrationQueueStatus;
export const isQueueStatus = (r: RegistrationReply): r is RegistrationQueueStatus => 'queue_id' in r;

// ---- run info
export const RunInfo = z.object({
	run_id: Id,
	is_default: z.boolean(),
	num_miners: Count,
	whitelisted: z.boolean(),
	is_miner_pool: z.boolean(),
	burn_factor: Real,
	incentive_perc: Real,
	authorized: z.boolean(),
	run_flags: RunFlags,
	max_miners: Count,
	whitelist_force_allow: z.boolean().default(false),
	// RunTier: 0 iron, 1 bronze, 2 silver, 3 gold.
	tier: Int(0, 3).default(0),
});
export type RunInfo = z.infer<typeof RunInfo>;
export const RunInfos = z.array(RunInfo).max(1000);
export const RunEpoch = z.object({run_id: Id, epoch: Count});
export type RunEpoch = z.infer<typeof RunEpoch>;

// ---- training-time replies and requests
export const Heartbeat = z.object({run_id: Id, layer: Int(0, MAX_LAYER), epoch: Count, phase: Str(64), status: opt(Str(64))});
export type Heartbeat = z.infer<typeof Heartbeat>;
export const RunConfig = z.object({run_id: Id, run_flags: RunFlags, model_metadata: opt(ModelMetadata)});
export type RunConfig = z.infer<typeof RunConfig>;
export const AllLayersTraining = z.boolean();

export const GetActivationRequest = z.strictObject({n_fwd_activations: Int(1, 64).optional()});
export const ActivationResponse = z.object({
	activation_id: opt(Id),
	direction: opt(Direction),
	upload_id: opt(Str(1024)),
	presigned_download_url: opt(Url),
	reason: opt(Text),
	presigned_upload_url: opt(z.array(Url).max(MAX_NUM_PARTS)),
	activation_upload_path: opt(Path),
	target_download_url: opt(Url),
	source_node_id: opt(Id),
	source_activation_id: opt(Id),
	expected_input_hash: opt(Str(128)),
});
export type ActivationResponse = z.infer<typeof ActivationResponse>;
export const ActivationResponses = z.array(ActivationResponse).max(64);

const Hash = Str(128);
export const SubmitActivationRequest = z.strictObject({
	direction: Direction,
	activation_id: opt(Id),
	activation_path: opt(Path),
	activation_stats: opt(SmallRecord),
	attestation: opt(Attestation),
	input_activation_hash: opt(Hash),
	output_activation_hash: opt(Hash),
});
export type SubmitActivationRequest = z.input<typeof SubmitActivationRequest>;

/** Cross-entropy lands well inside this; NaN and infinities are not losses. */
export const LOSS_RANGE = {min: 0, max: 1000};
export const LossReportRequest = z.strictObject({activation_id: Id, loss: Real.min(LOSS_RANGE.min).max(LOSS_RANGE.max), layer_idx: opt(Int(0, MAX_LAYER))});
export type LossReportRequest = z.input<typeof LossReportRequest>;

// ---- uploads
export const FileUploadRequest = z.strictObject({num_parts: Int(1, MAX_NUM_PARTS), file_type: FileType, multipart: z.boolean().optional()});
export type FileUploadRequest = z.input<typeof FileUploadRequest>;
export const FileUploadResponse = z.object({object_name: Path, urls: z.array(Url).max(MAX_NUM_PARTS), upload_id: opt(Str(1024))});
export type FileUploadResponse = z.infer<typeof FileUploadResponse>;
export const CompletedPart = z.strictObject({PartNumber: Int(1, MAX_NUM_PARTS), ETag: z.string().min(1).max(256).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')});
export const FileUploadCompletionRequest = z.strictObject({object_name: Path, upload_id: opt(Str(1024)), parts: opt(z.array(CompletedPart).max(MAX_NUM_PARTS))});
export type FileUploadCompletionRequest = z.input<typeof FileUploadCompletionRequest>;
export const CompleteFileUploadResponse = z.object({object_path: Path});
export type CompleteFileUploadResponse = z.infer<typeof CompleteFileUploadResponse>;

// ---- weights and merging
export const StateCallReply = z.number().int();
export const WeightUpdate = z.strictObject({weights_path: Path, attestation: opt(Attestation)});
export const WeightSubmitResponse = z.object({message: Text, should_upload_optimizer_state: z.boolean().default(false)});
export type WeightSubmitResponse = z.infer<typeof WeightSubmitResponse>;
export const OptimizerStateUpdate = z.strictObject({optimizer_state_path: Path});
export const LayerOptimizerState = z.object({optimizer_state_url: opt(Url), available: z.boolean().default(false)});
export type LayerOptimizerState = z.infer<typeof LayerOptimizerState>;
export const WeightPath = z.object({layer: Int(0, MAX_LAYER), weights_path_presigned: Url, weighting_factor: opt(z.number().int())});
export type WeightPath = z.infer<typeof WeightPath>;
export const WeightPaths = z.array(WeightPath).max(MAX_PARTITIONS);
export const PreviousPartitionsRequest = z.array(Int(0, MAX_PARTITIONS)).max(MAX_PARTITIONS);
export const SubmitMergedPartitionsRequest = z.strictObject({partitions: z.array(MinerPartitionRequest).max(MAX_NUM_PARTS), attestation: opt(Attestation)});

/** Replies nobody reads (payout, report_loss, submit_*): any JSON, already capped by size. */
export const AnyReply = z.unknown();
/** /healthcheck: any truthy JSON means healthy. */
export const HealthReply = z.unknown();

// ---- errors: HTTP 200 {error_name, error_dict}
export const ErrorReply = z.object({error_name: Str(128), error_dict: opt(SmallRecord)});
export const MessageErrorDict = z.object({message: Text.optional()});
export const LayerStateErrorDict = z.object({layer: Int(0, MAX_LAYER), expected_status: LayerPhase, actual_status: LayerPhase, message: opt(Text)});
export const SpecVersionErrorDict = z.object({expected_version: z.number().int(), actual_version: Str(64), message: opt(Text)});
