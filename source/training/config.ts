// Model configs as plain data. Stage splits follow IOTA's MODEL_SPLITS: [start, end] block ranges, -1 = open end.
// The stages themselves are IOTA's Llama-3 ones: llama3/from-model-config.ts maps a config to its Llama-3 model.
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
	// IOTA's real shapes (Llama-3.2 family): the bench's 1B block; too large to train here.
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
