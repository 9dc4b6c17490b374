// IOTA v1 miner API shapes (field names exactly as v1), validated at runtime on both sides.
import {z} from 'zod';

export const SPEC_VERSION = 4065;

export const MergingPhase = z.enum(['is_training', 'weights_uploading', 'miners_merging_partitions']);
export type MergingPhase = z.infer<typeof MergingPhase>;

export const Direction = z.enum(['forward', 'backward', 'initial']);
export type Direction = z.infer<typeof Direction>;

export const MinerStatus = z.enum(['forward', 'backward', 'initial', 'idle']);

// Reply limits (miner side): a hostile orchestrator's numbers, strings and lists are bounded here.
const Url = z.string().max(8192);
const Uid = z.string().max(256);

export const RegisterResponse = z.object({
	hotkey: z.string(),
	layer: z.number().int().min(0).max(63),
	message: z.string(),
	version: z.string(),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;

export const Healthcheck = z.object({status: z.string()});
export const IsRegistered = z.object({is_registered: z.boolean()});
export const IsActive = z.object({is_active: z.boolean()});
export const Message = z.object({message: z.string()}).passthrough();

// ---- request bounds (the orchestrator refuses anything outside them with a 4xx)
/** S3 keys are at most 1,024 bytes; a path field may also be a store URL around such a key. */
export const MAX_KEY_BYTES = 1024;
const MAX_PATH_CHARS = 2048;
/** S3 presigned URLs live at most a week. */
export const MAX_EXPIRES_S = 604_800;
/** S3 limits: 10,000 parts, parts up to 5 GiB, objects up to 5 TiB. */
export const MAX_PARTS = 10_000;
const MAX_PART_BYTES = 5 * 1024 ** 3;
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
/** Cross-entropy lands well inside this; 0, negatives, denormals and 1e308 are not losses. */
export const LOSS_RANGE = {min: 1e-9, max: 1000};

/** Printable ASCII only: no NUL, CR, LF or other control characters in ids and paths. */
const printable = (max: number) => z.string().min(1).max(max).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII');
export const PathField = printable(MAX_PATH_CHARS);
export const ActivationUid = z.guid('activation_uid must be a UUID');
const ExpiresIn = z.number().int().min(1).max(MAX_EXPIRES_S);

export const ActivationReason = z.enum(['not training', 'out_of_cache', 'no_activation_found']);
export const ActivationResponse = z.object({
	activation_uid: Uid.nullable(),
	activation_path: Url.nullable(),
	direction: Direction.nullable(),
	initial_activation: Uid.nullable(),
	initial_activation_path: Url.nullable(),
	reason: ActivationReason.nullable(),
});
export type ActivationResponse = z.infer<typeof ActivationResponse>;

export const MultipartInitiateRequest = z.strictObject({
	path: PathField,
	file_size: z.number().int().min(0).max(MAX_OBJECT_BYTES),
	part_size: z.number().int().min(1).max(MAX_PART_BYTES).default(100 * 1024 * 1024),
	expires_in: ExpiresIn.default(3600),
});
export type MultipartInitiateRequest = z.input<typeof MultipartInitiateRequest>;

export const MultipartInitiateResponse = z.object({
	message: z.string(),
	data: z.union([
		z.object({use_multipart: z.literal(false), presigned_data: Url}),
		z.object({
			use_multipart: z.literal(true),
			multipart_data: z.object({
				upload_id: z.string(),
				presigned_urls: z.array(z.object({url: Url})).max(10_000),
				part_numbers: z.array(z.number().int()).max(10_000),
			}),
			part_size: z.number().int().positive(),
			total_parts: z.number().int().positive().max(10_000),
		}),
	]),
});
export type MultipartInitiateResponse = z.infer<typeof MultipartInitiateResponse>;

export const CompletedPart = z.strictObject({PartNumber: z.number().int().min(1).max(MAX_PARTS), ETag: printable(256)});
export const MultipartCompleteRequest = z.strictObject({
	path: PathField,
	upload_id: printable(1024),
	parts: z.array(CompletedPart).min(1).max(MAX_PARTS),
});
export const MultipartCompleteResponse = z.object({message: z.string(), data: z.object({s3_path: z.string()})});

export const PresignedUrlRequest = z.strictObject({
	path: PathField,
	expires_in: ExpiresIn.default(3600),
});
export const PresignedUrlResponse = z.object({message: z.string(), data: z.object({presigned_data: Url})});

export const MinerStatusUpdate = z.strictObject({
	status: MinerStatus,
	activation_uid: ActivationUid.nullable().default(null),
	activation_path: PathField.nullable().default(null),
});
export type MinerStatusUpdate = z.input<typeof MinerStatusUpdate>;

export const LossReportRequest = z.strictObject({
	activation_uid: ActivationUid,
	loss_value: z.number().min(LOSS_RANGE.min).max(LOSS_RANGE.max),
});
export const LossReportResponse = z.object({
	hotkey: z.string(),
	activation_uid: z.string(),
	loss_value: z.number(),
	timestamp: z.number(),
	message: z.string(),
});

export const LearningRate = z.number();

export const IsMerging = z.object({status: MergingPhase, num_sections: z.number().int().min(0).max(1_000_000)});

export const NotifyWeightsResponse = z.object({message: z.string(), success: z.string()});

export const SubmittedWeights = z.object({
	weights_path: z.string(),
	weight_metadata_path: z.string(),
	optimizer_state_path: z.string(),
	optimizer_state_metadata_path: z.string(),
	hotkey: z.string(),
	weighting_factor: z.number(),
});
export type SubmittedWeights = z.infer<typeof SubmittedWeights>;
export const ChunksForMiner = z.tuple([z.array(SubmittedWeights).max(1000), z.array(z.number().int().min(0)).max(10_000)]);

export const ChunkData = z.object({
	chunk_start_idx: z.number().int(),
	chunk_end_idx: z.number().int(),
	chunk_start_byte: z.number().int(),
	chunk_end_byte: z.number().int(),
	chunk_dtype: z.string(),
	chunk_length: z.number().int(),
});
export type ChunkData = z.infer<typeof ChunkData>;

export const Partition = z.object({
	layer: z.number().int(),
	chunk_number: z.number().int(),
	miner_hotkey: z.string(),
	weight_path: z.string(),
	weight_metadata_path: z.string(),
	optimizer_state_path: z.string(),
	optimizer_state_metadata_path: z.string(),
	weight_data: ChunkData,
	optimizer_state_data: ChunkData,
});
export type Partition = z.infer<typeof Partition>;
export const Partitions = z.array(Partition).max(10_000);

/** A merged partition as a miner reports it (the request side of Partition, bounded). */
const Count = z.number().int().min(0).max(2 ** 48);
const ChunkDataUpload = z.strictObject({
	chunk_start_idx: Count,
	chunk_end_idx: Count,
	chunk_start_byte: Count,
	chunk_end_byte: Count,
	chunk_dtype: z.string().regex(/^[a-z0-9]{1,16}$/, 'unknown dtype'),
	chunk_length: Count,
});
export const PartitionUpload = z.strictObject({
	layer: z.number().int().min(0).max(63),
	chunk_number: z.number().int().min(0).max(MAX_PARTS),
	miner_hotkey: z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{46,48}$/, 'not an SS58 address'),
	weight_path: PathField,
	weight_metadata_path: PathField,
	optimizer_state_path: PathField,
	optimizer_state_metadata_path: PathField,
	weight_data: ChunkDataUpload,
	optimizer_state_data: ChunkDataUpload,
});
export const PartitionsUpload = z.array(PartitionUpload).min(1).max(1000);

export const MinerDetail = z.object({
	hotkey: z.string(),
	layer: z.number().int(),
	score: z.number(),
	backwards_since_reset: z.number().int(),
	total_backwards: z.number().int(),
	losses_reported: z.number().int(),
	last_loss: z.number().nullable(),
	weights_submitted: z.number().int(),
	partitions_merged: z.number().int(),
	registered_at: z.number(),
});
export type MinerDetail = z.infer<typeof MinerDetail>;

export const LayerRow = z.object({
	layer: z.number().int(),
	status: MergingPhase,
	epoch: z.number().int(),
	num_miners: z.number().int(),
	num_sections: z.number().int(),
	phase_since: z.number(),
	submitted: z.number().int(),
	merged_chunks: z.number().int(),
});
export const GlobalMinerWeights = z.object({
	miner_weights: z.record(z.string(), z.number()),
	layers: z.array(LayerRow),
});
export type GlobalMinerWeights = z.infer<typeof GlobalMinerWeights>;
