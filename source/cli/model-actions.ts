// The work behind `iota-tui model`: files in and out, summaries; the stage logic lives in training/llama3/.
import {readFile, writeFile} from 'node:fs/promises';
import {UserError, errorMessage} from '../errors.js';
import {printJson} from './common.js';
import {getPublicModel, publicModels, type PublicModel, type StageSplit} from '../training/llama3/config.js';
import {countParams, stageParams} from '../training/llama3/params.js';
import {checkMemory, type FloatDtype, fromStateDict, seededWeights, toStateDict} from '../training/llama3/state-dict.js';
import {isTensor, loadTorch, saveTorch, TorchFormatError, type TorchTensor, type TorchValue} from '../training/torch/index.js';

type StageOpts = {config: string; layer: number; maxGib: number; json?: boolean};

function model(name: string): PublicModel {
	if (!Object.hasOwn(publicModels, name)) throw new UserError(`unknown config "${name}": use one of ${Object.keys(publicModels).join(', ')}`, 2);
	return getPublicModel(name);
}

function stageOf(opts: StageOpts): {m: PublicModel; split: StageSplit} {
	const m = model(opts.config);
	const split = m.splits[opts.layer];
	if (!split) throw new UserError(`--layer ${opts.layer} is out of range: ${opts.config} has stages 0-${m.splits.length - 1}`, 2);
	return {m, split};
}

const describe = (name: string, s: StageSplit) => `${name} ${s.kind} (blocks ${s.start}-${s.end - 1})`;

async function readTorchFile(path: string, what: string): Promise<TorchValue> {
	let bytes: Uint8Array;
	try {
		bytes = await readFile(path);
	} catch (error) {
		throw new UserError(`cannot read ${what} ${path}: ${errorMessage(error)}`);
	}
	try {
		return loadTorch(bytes);
	} catch (error) {
		if (error instanceof TorchFormatError) throw new UserError(`${what} ${path} is not a readable torch file: ${error.message}`);
		throw error;
	}
}

async function readTensor(path: string, what: string): Promise<TorchTensor> {
	const v = await readTorchFile(path, what);
	if (!isTensor(v)) throw new UserError(`${what} ${path} must hold a single tensor (torch.save(tensor, path))`);
	return v;
}

async function write(path: string, bytes: Uint8Array): Promise<void> {
	try {
		await writeFile(path, bytes);
	} catch (error) {
		throw new UserError(`cannot write ${path}: ${errorMessage(error)}`);
	}
}

async function loadWeights(opts: StageOpts & {in: string}, factor: number) {
	const {m, split} = stageOf(opts);
	checkMemory(m.cfg, split, opts.maxGib, factor);
	const params = stageParams(m.cfg, split);
	const loaded = fromStateDict(params, await readTorchFile(opts.in, 'state_dict'));
	return {m, split, params, ...loaded};
}

async function newStage(m: PublicModel, split: StageSplit) {
	const {initBackend} = await import('../training/backend.js');
	await initBackend('cpu'); // plain JS: the same numbers on every machine, as the PyTorch checks expect
	const {LlamaStage} = await import('../training/llama3/stages.js');
	return new LlamaStage(m.cfg, split);
}

export async function exportStage(opts: StageOpts & {seed: number; dtype: FloatDtype; out: string}): Promise<void> {
	const {m, split} = stageOf(opts);
	checkMemory(m.cfg, split, opts.maxGib, 2);
	const params = stageParams(m.cfg, split);
	await write(opts.out, saveTorch(toStateDict(params, seededWeights(params, opts.seed), opts.dtype)));
	const summary = {config: opts.config, layer: opts.layer, ...split, tensors: params.length, params: countParams(params), dtype: opts.dtype, seed: opts.seed, out: opts.out};
	if (opts.json) printJson(summary);
	else process.stdout.write(`wrote ${describe(opts.config, split)}: ${params.length} tensors, ${countParams(params)} params, ${opts.dtype}, seed ${opts.seed} -> ${opts.out}\n`);
}

export async function importStage(opts: StageOpts & {in: string}): Promise<void> {
	const {m, split, params, weights, dtypes} = await loadWeights(opts, 3);
	const stage = await newStage(m, split);
	const {smokeForward} = await import('../training/llama3/stage-run.js');
	const forward = smokeForward(stage, weights);
	if (!forward.finite) throw new UserError(`${opts.in} loads but its forward gives NaN or Inf: the weights are broken`);
	const summary = {config: opts.config, layer: opts.layer, ...split, tensors: params.length, params: countParams(params), dtypes, forward};
	if (opts.json) printJson(summary);
	else process.stdout.write(`ok: ${opts.in} matches ${describe(opts.config, split)}: ${params.length} tensors, ${countParams(params)} params (${dtypes.join(', ')}); forward [${forward.input.join(', ')}] -> [${forward.output.join(', ')}] finite\n`);
}

/** model_cfg with IOTA's key names, plus splits. */
export function configJson(m: PublicModel) {
	const c = m.cfg;
	const rope_freq = c.rope_freq && {factor: c.rope_freq.factor, low_freq_factor: c.rope_freq.low_freq_factor,
		high_freq_factor: c.rope_freq.high_freq_factor, original_context_length: c.rope_freq.original_context_length};
	return {vocab_size: c.vocab_size, context_length: c.context_length, orig_context_length: c.orig_context_length, emb_dim: c.emb_dim,
		bottleneck_dim: c.bottleneck_dim, n_heads: c.n_heads, n_layers: c.n_layers, hidden_dim: c.hidden_dim, n_kv_groups: c.n_kv_groups,
		rope_base: c.rope_base, rope_freq, splits: m.splits.map(s => ({kind: s.kind, start: s.start, end: s.end}))};
}

export async function showConfig(opts: {config: string; json?: boolean}): Promise<void> {
	const m = model(opts.config);
	if (opts.json) {
		printJson(configJson(m));
		return;
	}
	const c = m.cfg;
	const rope = c.rope_freq ? `factor ${c.rope_freq.factor}, low ${c.rope_freq.low_freq_factor}, high ${c.rope_freq.high_freq_factor}, orig ctx ${c.rope_freq.original_context_length}` : 'none';
	const rows: Array<[string, string | number]> = [
		['model', c.model_name], ['vocab_size', c.vocab_size], ['context_length', c.context_length], ['orig_context_length', c.orig_context_length],
		['emb_dim', c.emb_dim], ['bottleneck_dim', c.bottleneck_dim], ['n_heads', c.n_heads], ['n_kv_groups', c.n_kv_groups],
		['n_layers', c.n_layers], ['hidden_dim', c.hidden_dim], ['rope_base', c.rope_base], ['rope_freq', rope],
	];
	const lines = rows.map(([k, v]) => `${k.padEnd(20)}${v}`);
	lines.push('', 'layer  kind  blocks        params');
	m.splits.forEach((s, i) => lines.push(`${String(i).padEnd(7)}${s.kind.padEnd(6)}${`[${s.start}, ${s.end})`.padEnd(14)}${countParams(stageParams(c, s))}`));
	process.stdout.write(lines.join('\n') + '\n');
}

export async function runStageCommand(opts: StageOpts & {weights: string; input: string; out: string; grad?: string; dtype: FloatDtype}): Promise<void> {
	const {m, split, weights} = await loadWeights({...opts, in: opts.weights}, opts.grad ? 5 : 3);
	const input = await readTensor(opts.input, 'input');
	const grad = opts.grad ? await readTensor(opts.grad, 'grad') : undefined;
	const stage = await newStage(m, split);
	const {runStage} = await import('../training/llama3/stage-run.js');
	const result = runStage(stage, weights, input, opts.dtype, grad);
	await write(opts.out, saveTorch(result));
	const outShape = result instanceof Map ? (result.get('output') as TorchTensor).shape : (result as TorchTensor).shape;
	const summary = {config: opts.config, layer: opts.layer, ...split, input: input.shape, output: outShape, backward: Boolean(grad), dtype: opts.dtype, out: opts.out};
	if (opts.json) printJson(summary);
	else process.stdout.write(`ran ${describe(opts.config, split)} ${grad ? 'forward+backward' : 'forward'}: [${input.shape.join(', ')}] -> [${outShape.join(', ')}] (${opts.dtype}) -> ${opts.out}\n`);
}
