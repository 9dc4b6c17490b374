// Model configs as plain data. Stage splits follow IOTA's MODEL_SPLITS: [start, end] block ranges, -1 = open end.
import {UserError} from '../errors.js';

export type ModelConfig = {
	name: string;
	vocabSize: number;
	dModel: number;
	nLayers: number;
	nHeads: number;
	nKvHeads: number;
	ffnDim: number;
	bottleneckDim: number;
	seqLen: number;
	batchSize: number;
	ropeTheta: number;
	splits: Array<[number, number]>;
	normEps: number;
};

const base = {ropeTheta: 10_000, normEps: 1e-5};

export const configs: Record<string, ModelConfig> = {
	// Small enough to train visibly on 2 CPU cores with the byte tokenizer.
	devnet: {
		...base, name: 'devnet', vocabSize: 257, dModel: 128, nLayers: 6, nHeads: 4, nKvHeads: 2,
		ffnDim: 384, bottleneckDim: 16, seqLen: 128, batchSize: 8, splits: [[-1, 2], [2, 4], [4, -1]],
	},
	// For tests: seconds per step would be too slow with devnet on CI.
	tiny: {
		...base, name: 'tiny', vocabSize: 257, dModel: 32, nLayers: 3, nHeads: 4, nKvHeads: 2,
		ffnDim: 64, bottleneckDim: 8, seqLen: 16, batchSize: 2, splits: [[-1, 1], [1, 2], [2, -1]],
	},
	// IOTA's real shapes (Llama-3.2 family), for memory/time estimates and the 1B-block bench.
	'iota-1b': {
		name: 'iota-1b', vocabSize: 128_256, dModel: 2048, nLayers: 16, nHeads: 32, nKvHeads: 8,
		ffnDim: 8192, bottleneckDim: 32, seqLen: 800, batchSize: 1, ropeTheta: 500_000, normEps: 1e-5,
		splits: [[-1, 4], [4, 12], [12, -1]],
	},
	'iota-15b': {
		name: 'iota-15b', vocabSize: 128_256, dModel: 5120, nLayers: 50, nHeads: 40, nKvHeads: 8,
		ffnDim: 13_824, bottleneckDim: 80, seqLen: 800, batchSize: 1, ropeTheta: 500_000, normEps: 1e-5,
		splits: [[-1, 8], [8, 19], [19, 30], [30, 41], [41, -1]],
	},
};

export function getConfig(name: string): ModelConfig {
	const config = configs[name];
	if (!config) throw new UserError(`unknown config "${name}" (known: ${Object.keys(configs).join(', ')})`, 2);
	return config;
}

export type BlockSpec = {index: number; bottleneck: boolean; decoder: boolean};
export type StageSpec = {index: number; embedding: boolean; head: boolean; blocks: BlockSpec[]; inDim: number; outDim: number};

/** Which blocks a stage holds. Non-final stages end in a bottleneck block; the next stage starts with its decoder. */
export function stageSpec(config: ModelConfig, stage: number): StageSpec {
	const n = config.splits.length;
	if (!Number.isInteger(stage) || stage < 0 || stage >= n) throw new UserError(`stage ${stage} out of range 0..${n - 1}`, 2);
	const [s, e] = config.splits[stage]!;
	const start = s < 0 ? 0 : s;
	const end = e < 0 ? config.nLayers : e;
	if (end <= start) throw new UserError(`config ${config.name}: empty split [${s}, ${e}]`, 2);
	const last = stage === n - 1;
	const blocks: BlockSpec[] = [];
	for (let i = start; i < end; i++) blocks.push({index: i, bottleneck: !last && i === end - 1, decoder: stage > 0 && i === start});
	return {
		index: stage, embedding: stage === 0, head: last, blocks,
		inDim: stage === 0 ? 0 : config.bottleneckDim,
		outDim: last ? 0 : config.bottleneckDim,
	};
}

export type ParamSpec = {name: string; shape: number[]; init: 'normal' | 'ones' | 'zeros'};

/** Parameters of one stage in a fixed order (the order of the flat weight vector). */
export function stageParams(config: ModelConfig, stage: number): ParamSpec[] {
	const spec = stageSpec(config, stage);
	const {dModel: d, nHeads, nKvHeads, ffnDim: f, bottleneckDim: bd, vocabSize: v} = config;
	const hd = d / nHeads;
	const out: ParamSpec[] = [];
	const p = (name: string, shape: number[], init: ParamSpec['init'] = 'normal') => out.push({name, shape, init});
	if (spec.embedding) p('tok_emb', [v, d]);
	for (const b of spec.blocks) {
		const n = `blocks.${b.index}`;
		if (b.decoder) { p(`${n}.dec_w`, [bd, d]); p(`${n}.dec_b`, [d], 'zeros'); }
		p(`${n}.attn_norm`, [d], 'ones');
		p(`${n}.wq`, [d, nHeads * hd]);
		p(`${n}.wk`, [d, nKvHeads * hd]);
		p(`${n}.wv`, [d, nKvHeads * hd]);
		p(`${n}.wo`, [nHeads * hd, d]);
		p(`${n}.ffn_norm`, [d], 'ones');
		p(`${n}.w_gate`, [d, f]);
		p(`${n}.w_up`, [d, f]);
		p(`${n}.w_down`, [f, d]);
		if (b.bottleneck) p(`${n}.fc4`, [d, bd]);
	}
	if (spec.head) { p('final_norm', [d], 'ones'); p('out_head', [d, v]); }
	return out;
}

export const countParams = (specs: ParamSpec[]) => specs.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);

export function totalParams(config: ModelConfig): number {
	let n = 0;
	for (let s = 0; s < config.splits.length; s++) n += countParams(stageParams(config, s));
	return n;
}

export function validateConfig(c: ModelConfig): void {
	if (c.dModel % c.nHeads !== 0) throw new UserError(`config ${c.name}: dModel ${c.dModel} not divisible by nHeads ${c.nHeads}`, 2);
	if (c.nHeads % c.nKvHeads !== 0) throw new UserError(`config ${c.name}: nHeads not divisible by nKvHeads`, 2);
	if ((c.dModel / c.nHeads) % 2 !== 0) throw new UserError(`config ${c.name}: head dim must be even for rotary embeddings`, 2);
	for (let s = 0; s < c.splits.length; s++) stageSpec(c, s);
}

/** Rough per-stage sizes for planning: fp32 weights + grads + AdamW moments, the bf16 uploads, and training FLOPs per token. */
export function stageEstimate(config: ModelConfig, stage: number) {
	const params = countParams(stageParams(config, stage));
	const blocks = stageSpec(config, stage).blocks.length;
	// 6 FLOPs per parameter per token (forward + backward), plus attention scores: 12 * seq * d per block.
	const flopsPerToken = 6 * params + 12 * blocks * config.seqLen * config.dModel;
	return {params, trainingBytesFp32: params * 4 * 4, uploadBytesBf16: params * 2 * 3, flopsPerToken};
}
