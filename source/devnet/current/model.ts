// What the run tells miners about itself: model_cfg (IOTA key names), model_metadata, run flags, run info.
import * as S from '../../orchestrator/current/schemas.js';
import {getPublicModel, type PublicModel} from '../../training/llama3/config.js';
import {countParams, stageParams} from '../../training/llama3/params.js';
import type {CurrentSettings} from './settings.js';

export interface RunModel {
	layers: number;
	flags: S.RunFlags;
	cfg: S.ModelConfig;
	metadata: S.ModelMetadata;
}

/** IOTA's MODEL_SPLITS form: [start, end] per stage, -1 where the stage is open-ended. */
export const modelSplits = (m: PublicModel): [number, number][] =>
	m.splits.map(s => [s.start === 0 ? -1 : s.start, s.end === m.cfg.n_layers ? -1 : s.end]);

export function runModel(s: CurrentSettings): RunModel {
	const m = getPublicModel(s.model);
	const c = m.cfg;
	// The documented defaults (three on), then the run's overrides.
	const flags = S.RunFlags.parse(s.run_flags);
	const total = m.splits.reduce((n, split) => n + countParams(stageParams(c, split)), 0);
	const cfg: S.ModelConfig = {
		model_name: c.model_name,
		total_global_params: total,
		vocab_size: c.vocab_size,
		context_length: c.context_length,
		orig_context_length: c.orig_context_length,
		emb_dim: c.emb_dim,
		bottleneck_dim: c.bottleneck_dim,
		quantize_activations: false,
		quantize_activations_grads: false,
		quantize_weights: false,
		n_heads: c.n_heads,
		n_layers: c.n_layers,
		hidden_dim: c.hidden_dim,
		n_kv_groups: c.n_kv_groups,
		rope_base: c.rope_base,
		dtype: 'bfloat16',
		rope_freq: c.rope_freq ? {...c.rope_freq} : null,
	};
	const layers = m.splits.length;
	const metadata: S.ModelMetadata = {
		model_splits: modelSplits(m),
		model_size: s.model,
		n_splits: layers,
		tokenizer_name: s.tokenizer_name,
		effective_batch_size: s.mini_batch_size * s.mini_batch_accumulation_count,
		mini_batch_accumulation_count: s.mini_batch_accumulation_count,
		grad_clip_norm: s.grad_clip_norm,
		// The inner optimizer as the public miner runs it: NAdam at a constant 2e-4.
		opt: {learning_rate: 2e-4, weight_decay: 0.1, betas: [0.9, 0.95], eps: 1e-8},
		dataset: {dataset_name: 'common-licenses', shuffle_dataset: true, sequence_length: s.sequence_length, mini_batch_size: s.mini_batch_size},
		miners_per_layer: Array.from({length: layers}, () => s.max_miners_per_layer),
		activation: {max_activation_cache_size: s.max_activation_cache_size},
	};
	return {layers, flags, cfg, metadata};
}

export function runInfo(s: CurrentSettings, model: RunModel, numMiners: number): S.RunInfo {
	return {
		run_id: s.run_id,
		is_default: true,
		num_miners: numMiners,
		whitelisted: false,
		is_miner_pool: false,
		burn_factor: 0,
		incentive_perc: 1,
		authorized: true,
		run_flags: model.flags,
		max_miners: s.max_miners_per_layer * model.layers,
		whitelist_force_allow: false,
		tier: 0,
	};
}
