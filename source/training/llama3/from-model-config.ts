// The Llama-3 model (config + stage splits) a miner's ModelConfig stands for: the public config of the same
// name when its shapes agree, else one derived from the ModelConfig's own shapes (no RoPE scaling).
import type {ModelConfig} from '../config.js';
import {type LlamaConfig, type PublicModel, publicModels, splitsFromModelSplits} from './config.js';

function derived(c: ModelConfig): LlamaConfig {
	return {
		model_name: c.name, vocab_size: c.vocabSize, context_length: c.seqLen, orig_context_length: c.seqLen,
		emb_dim: c.dModel, bottleneck_dim: c.bottleneckDim, n_heads: c.nHeads, n_layers: c.nLayers,
		hidden_dim: c.ffnDim, n_kv_groups: c.nKvHeads, rope_base: c.ropeTheta, rope_freq: null,
	};
}

/** Whether the public model has the ModelConfig's shapes (so its weights and wire tensors fit). */
function sameShapes(m: PublicModel, c: ModelConfig): boolean {
	const p = m.cfg;
	return p.vocab_size === c.vocabSize && p.emb_dim === c.dModel && p.bottleneck_dim === c.bottleneckDim && p.n_heads === c.nHeads
		&& p.n_layers === c.nLayers && p.hidden_dim === c.ffnDim && p.n_kv_groups === c.nKvHeads && p.context_length >= c.seqLen
		&& JSON.stringify(m.splits) === JSON.stringify(splitsFromModelSplits(c.splits, c.nLayers));
}

export function llamaModelFor(c: ModelConfig): PublicModel {
	const known = Object.hasOwn(publicModels, c.name) ? publicModels[c.name]! : undefined;
	if (known && sameShapes(known, c)) return known;
	const cfg = derived(c);
	return {cfg, splits: splitsFromModelSplits(c.splits, c.nLayers)};
}
