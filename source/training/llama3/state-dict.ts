// A stage's weights as a PyTorch state_dict (OrderedDict of name -> tensor) and back, checked key by key.
import {UserError} from '../../errors.js';
import {bf16ToFloat32, float16ToFloat32, float32ToBf16} from '../torch/half.js';
import {isTensor, TorchOrderedDict, type TorchTensor, type TorchValue} from '../torch/values.js';
import type {LlamaConfig, StageSplit} from './config.js';
import {initParam} from './init.js';
import {countParams, type LlamaParam, numel, stageParams} from './params.js';

export type FloatDtype = 'fp32' | 'bf16';
const GIB = 2 ** 30;

/** Default cap on a stage's fp32 weights held in memory (export, import, run); --max-gib raises it. */
export const DEFAULT_MAX_GIB = 2;

/** Refuses a stage whose fp32 weights (times `factor` for working copies) would exceed `maxGib`. */
export function checkMemory(cfg: LlamaConfig, split: StageSplit, maxGib: number, factor = 1): void {
	const bytes = countParams(stageParams(cfg, split)) * 4 * factor;
	if (bytes > maxGib * GIB) {
		throw new UserError(`${cfg.model_name} ${split.kind} [${split.start}, ${split.end}) needs about ${(bytes / GIB).toFixed(1)} GiB, over the ${maxGib} GiB budget: use a smaller config or raise --max-gib`);
	}
}

/** Seeded weights exactly as LlamaStage.init makes them, as plain arrays (no TF.js copy). */
export function seededWeights(params: LlamaParam[], seed: number): Float32Array[] {
	return params.map(p => initParam(p, seed));
}

/** fp32 arrays to torch tensors (fp32 or bf16, round to nearest even). */
export function toTorchTensor(data: Float32Array, shape: number[], dtype: FloatDtype): TorchTensor {
	return dtype === 'bf16' ? {dtype: 'bfloat16', shape, data: float32ToBf16(data)} : {dtype: 'float32', shape, data};
}

export function toStateDict(params: LlamaParam[], weights: Float32Array[], dtype: FloatDtype): TorchOrderedDict {
	const out = new TorchOrderedDict();
	params.forEach((p, i) => out.set(p.name, toTorchTensor(weights[i]!, p.shape, dtype)));
	return out;
}

/** A floating tensor (fp32, bf16, fp16) as fp32; null for any other dtype. */
export function floatData(t: TorchTensor): Float32Array | null {
	switch (t.dtype) {
		case 'float32': return t.data as Float32Array;
		case 'bfloat16': return bf16ToFloat32(t.data as Uint16Array);
		case 'float16': return float16ToFloat32(t.data as Uint16Array);
		default: return null;
	}
}

export type LoadedStateDict = {weights: Float32Array[]; dtypes: string[]};

/** Checks a loaded torch value against the stage's parameters (names, no extras, shapes, float dtypes). */
export function fromStateDict(params: LlamaParam[], value: TorchValue): LoadedStateDict {
	if (!(value instanceof Map)) throw new UserError('not a state_dict: the file holds no dict of tensors (save model.state_dict())');
	const expected = new Set(params.map(p => p.name));
	for (const key of value.keys()) {
		if (!expected.has(String(key))) throw new UserError(`state_dict has unexpected key "${String(key)}": it is not a parameter of this stage (check --config and --layer)`);
	}
	const weights: Float32Array[] = [];
	const dtypes = new Set<string>();
	for (const p of params) {
		const t = value.get(p.name);
		if (t === undefined) throw new UserError(`state_dict is missing key "${p.name}" (check --config and --layer)`);
		if (!isTensor(t)) throw new UserError(`state_dict key "${p.name}" is not a tensor`);
		if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
			throw new UserError(`state_dict key "${p.name}" has shape [${t.shape.join(', ')}], expected [${p.shape.join(', ')}]`);
		}
		const data = floatData(t);
		if (!data) throw new UserError(`state_dict key "${p.name}" has dtype ${t.dtype}, expected float32, bfloat16 or float16`);
		if (data.length !== numel(p.shape)) throw new UserError(`state_dict key "${p.name}" holds ${data.length} values, expected ${numel(p.shape)}`);
		weights.push(data);
		dtypes.add(t.dtype);
	}
	return {weights, dtypes: [...dtypes]};
}
