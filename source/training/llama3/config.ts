// IOTA's Llama-3 model configs, shaped like the orchestrator's model_cfg, and their pipeline stage splits.
export type RopeFreq = {factor: number; low_freq_factor: number; high_freq_factor: number; original_context_length: number};

/** The model_cfg fields that decide the architecture (snake_case, as the orchestrator sends them). */
export type LlamaConfig = {
	model_name: string;
	vocab_size: number;
	context_length: number;
	orig_context_length: number;
	emb_dim: number;
	bottleneck_dim: number;
	n_heads: number;
	n_layers: number;
	hidden_dim: number;
	n_kv_groups: number;
	rope_base: number;
	rope_freq: RopeFreq | null;
};

export type StageKind = 'head' | 'body' | 'tail';
/** Layers [start, end) of the whole model; a head starts at 0 and a tail ends at n_layers. */
export type StageSplit = {kind: StageKind; start: number; end: number};
export type PublicModel = {cfg: LlamaConfig; splits: StageSplit[]};

const llama3Freq: RopeFreq = {factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_context_length: 8192};

/** Fields every public config shares (configs.py): vocab 128,256, ctx 8192 rescaled from 131,072, 8 kv groups. */
const family = {vocab_size: 128_256, context_length: 8192, orig_context_length: 131_072, n_kv_groups: 8, rope_base: 500_000, rope_freq: llama3Freq};

type Dims = Pick<LlamaConfig, 'emb_dim' | 'bottleneck_dim' | 'n_heads' | 'n_layers' | 'hidden_dim'>;
const dims = (emb_dim: number, bottleneck_dim: number, n_heads: number, n_layers: number, hidden_dim: number): Dims =>
	({emb_dim, bottleneck_dim, n_heads, n_layers, hidden_dim});

/** IOTA's MODEL_SPLITS ([start, end], -1 = open) to stage splits: first is the head, last the tail. */
export function splitsFromModelSplits(modelSplits: Array<[number, number]>, nLayers: number): StageSplit[] {
	if (modelSplits.length < 2) throw new Error('a pipeline needs at least a head and a tail');
	return modelSplits.map(([s, e], i) => {
		const kind: StageKind = i === 0 ? 'head' : i === modelSplits.length - 1 ? 'tail' : 'body';
		const split = {kind, start: s < 0 ? 0 : s, end: e < 0 ? nLayers : e};
		validateSplit(split, nLayers);
		return split;
	});
}

export function validateSplit(split: StageSplit, nLayers: number): void {
	const {kind, start, end} = split;
	const ok = Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= nLayers && start < end
		&& (kind !== 'head' || start === 0) && (kind !== 'tail' || end === nLayers);
	if (!ok) throw new Error(`invalid ${kind} split [${start}, ${end}) for ${nLayers} layers`);
}

/** Every 4 layers after a 3-layer head, up to the last start (45B and 100B). */
function everyFour(lastStart: number): Array<[number, number]> {
	const out: Array<[number, number]> = [[-1, 3]];
	for (let s = 3; s < lastStart; s += 4) out.push([s, s + 4]);
	out.push([lastStart, -1]);
	return out;
}

function model(name: string, d: Dims, modelSplits: Array<[number, number]>, extra: Partial<LlamaConfig> = {}): PublicModel {
	const cfg: LlamaConfig = {model_name: name, ...family, ...d, ...extra};
	return {cfg, splits: splitsFromModelSplits(modelSplits, cfg.n_layers)};
}

const placeholder: Array<[number, number]> = [[-1, 2], [2, 4], [4, -1]]; // configs.py marks these "TODO"
const noScaling = {orig_context_length: 8192, rope_freq: null};

/** The public configs of shared/common/src/common/configs.py, with their model_splits. */
export const publicModels: Record<string, PublicModel> = {
	'100M': model('Llama-3.2-100M', dims(512, 128, 32, 6, 512), [[-1, 3], [3, -1]]),
	'1B': model('Llama-3.2-1B', dims(2048, 32, 32, 16, 8192), [[-1, 4], [4, 12], [12, -1]]),
	'3B': model('Llama-3.2-3B', dims(3072, 48, 24, 28, 8192), placeholder),
	'5B': model('Llama-3.2-5B', dims(4096, 16, 32, 20, 14_336), placeholder),
	'7B': model('Llama-3.2-7B', dims(4096, 16, 32, 26, 14_336), placeholder),
	'8B': model('Llama-3.2-8B', dims(4096, 64, 32, 32, 14_336), placeholder),
	'12B': model('Llama-3.2-13B', dims(5120, 16, 40, 40, 13_824), [[-1, 11], [11, 27], [27, -1]]),
	'15B': model('Llama-3.2-15B', dims(5120, 80, 40, 50, 13_824), [[-1, 8], [8, 19], [19, 30], [30, 41], [41, -1]]),
	'21B': model('Llama-3.2-21B', dims(5120, 80, 40, 64, 16_384), [[-1, 11], [11, 27], [27, 43], [43, 59], [59, -1]]),
	'45B': model('Llama-3.2-45B', dims(7168, 112, 56, 66, 25_088), everyFour(63), noScaling),
	'100B': model('Llama-3.2-100B', dims(9216, 144, 72, 90, 32_256), everyFour(87), noScaling),
	// Not IOTA's: small shapes for the devnet miner and for tests. Head dim 16/32 so RoPE's three
	// Llama-3 frequency bands (kept, smoothed, divided) all occur; tiny's contexts differ so theta is rescaled.
	devnet: model('devnet', dims(128, 16, 4, 6, 384), [[-1, 2], [2, 4], [4, -1]],
		{vocab_size: 257, context_length: 128, orig_context_length: 128, n_kv_groups: 2}),
	tiny: model('tiny', dims(64, 16, 4, 4, 96), [[-1, 1], [1, 2], [2, -1]],
		{vocab_size: 101, context_length: 32, orig_context_length: 128, n_kv_groups: 2}),
};

export function getPublicModel(name: string): PublicModel {
	const m = publicModels[name];
	if (!m) throw new Error(`unknown Llama-3 config "${name}" (known: ${Object.keys(publicModels).join(', ')})`);
	return m;
}

/** RoPE theta after IOTA's rescale (theta * ctx / orig_ctx when they differ), applied once. */
export function effectiveRopeBase(cfg: LlamaConfig): number {
	return cfg.orig_context_length === cfg.context_length ? cfg.rope_base : cfg.rope_base * (cfg.context_length / cfg.orig_context_length);
}

export function validateConfig(cfg: LlamaConfig): void {
	const fail = (why: string) => { throw new Error(`config ${cfg.model_name}: ${why}`); };
	if (cfg.emb_dim % cfg.n_heads !== 0) fail('emb_dim not divisible by n_heads');
	if (cfg.n_heads % cfg.n_kv_groups !== 0) fail('n_heads not divisible by n_kv_groups');
	if ((cfg.emb_dim / cfg.n_heads) % 2 !== 0) fail('head dim must be even for RoPE');
	if (!(cfg.bottleneck_dim > 0 && cfg.bottleneck_dim < cfg.emb_dim)) fail('bottleneck_dim must be in (0, emb_dim)');
}
