// Parameter names, shapes and order of IOTA's Llama-3 stages, as PyTorch's state_dict / parameters() lists them.
// Pure data: nothing is allocated, so the largest configs can be listed.
import type {LlamaConfig, StageSplit} from './config.js';

export type LlamaParam = {name: string; shape: number[]; init: 'normal' | 'ones'};

/**
 * One transformer block of a stage. `bottleneck`: the stage's last block (head, body), which ends in fc4.
 * `decoderUsed`: the block receives bottleneck_dim channels and decodes them (first block of a body or tail).
 */
export type BlockLayout = {index: number; bottleneck: boolean; decoderUsed: boolean};

export function blockLayout(split: StageSplit): BlockLayout[] {
	const n = split.end - split.start;
	const out: BlockLayout[] = [];
	for (let i = 0; i < n; i++) {
		out.push({index: i, bottleneck: split.kind !== 'tail' && i === n - 1, decoderUsed: split.kind !== 'head' && i === 0});
	}
	return out;
}

const linear = (name: string, out: number, inp: number): LlamaParam => ({name: `${name}.weight`, shape: [out, inp], init: 'normal'});
const norm = (name: string, dim: number): LlamaParam => ({name: `${name}.weight`, shape: [dim], init: 'ones'});
const decoder = (p: string, cfg: LlamaConfig) => linear(`${p}.bottleneck_decoder.bottleneck_decoder.0`, cfg.emb_dim, cfg.bottleneck_dim);

function attention(p: string, cfg: LlamaConfig): LlamaParam[] {
	const e = cfg.emb_dim;
	const kv = cfg.n_kv_groups * (e / cfg.n_heads);
	return [linear(`${p}.att.W_key`, kv, e), linear(`${p}.att.W_value`, kv, e), linear(`${p}.att.W_query`, e, e), linear(`${p}.att.out_proj`, e, e)];
}

function feedForward(p: string, cfg: LlamaConfig, bottleneck: boolean): LlamaParam[] {
	const {emb_dim: e, hidden_dim: h} = cfg;
	const ff = [linear(`${p}.ff.fc1`, h, e), linear(`${p}.ff.fc2`, h, e), linear(`${p}.ff.fc3`, e, h)];
	if (bottleneck) ff.push(linear(`${p}.ff.fc4`, cfg.bottleneck_dim, e));
	return ff;
}

/**
 * A BottleneckTransformerBlock creates its decoder first (used or not); a TransformerBlock adds one lazily on
 * its first bottleneck_dim input, i.e. after norm2, so it comes last in that block's order.
 */
function block(b: BlockLayout, cfg: LlamaConfig): LlamaParam[] {
	const p = `trf_blocks.${b.index}`;
	const core = [...attention(p, cfg), ...feedForward(p, cfg, b.bottleneck), norm(`${p}.norm1`, cfg.emb_dim), norm(`${p}.norm2`, cfg.emb_dim)];
	if (b.bottleneck) return [decoder(p, cfg), ...core];
	return b.decoderUsed ? [...core, decoder(p, cfg)] : core;
}

/** A stage's parameters in PyTorch's parameters() order (the order of its flat weight vector). */
export function stageParams(cfg: LlamaConfig, split: StageSplit): LlamaParam[] {
	const out: LlamaParam[] = [];
	if (split.kind === 'head') out.push({name: 'tok_emb.weight', shape: [cfg.vocab_size, cfg.emb_dim], init: 'normal'});
	for (const b of blockLayout(split)) out.push(...block(b, cfg));
	if (split.kind === 'tail') out.push(norm('final_norm', cfg.emb_dim), linear('out_head', cfg.vocab_size, cfg.emb_dim));
	return out;
}

/** Names of parameters the forward pass never reads (PyTorch leaves their .grad None): an idle bottleneck decoder. */
export function unusedParams(split: StageSplit): Set<string> {
	const out = new Set<string>();
	for (const b of blockLayout(split)) {
		if (b.bottleneck && !b.decoderUsed) out.add(`trf_blocks.${b.index}.bottleneck_decoder.bottleneck_decoder.0.weight`);
	}
	return out;
}

export const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
export const countParams = (params: LlamaParam[]) => params.reduce((s, p) => s + numel(p.shape), 0);
