// Runs one stage on a torch tensor input (forward, optionally backward), returning torch tensors.
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../../errors.js';
import {TorchOrderedDict, type TorchTensor, type TorchValue} from '../torch/values.js';
import {LlamaStage} from './stages.js';
import {type FloatDtype, floatData, toTorchTensor} from './state-dict.js';

/** The stage input as a TF.js tensor: head int ids [B, S] (< vocab), else float activations [B, S, bottleneck]. */
export function stageInput(stage: LlamaStage, t: TorchTensor): tf.Tensor {
	const {cfg, split} = stage;
	if (split.kind === 'head') {
		if (t.shape.length !== 2) throw new UserError(`head input must be token ids [B, S], got shape [${t.shape.join(', ')}]`);
		if (t.dtype !== 'int64' && t.dtype !== 'int32') throw new UserError(`head input must be int64 token ids, got ${t.dtype}`);
		const ids = Int32Array.from(t.data as ArrayLike<number | bigint>, v => {
			const n = Number(v);
			if (!(n >= 0 && n < cfg.vocab_size)) throw new UserError(`token id ${n} is outside the vocabulary [0, ${cfg.vocab_size})`);
			return n;
		});
		return tf.tensor2d(ids, t.shape as [number, number], 'int32');
	}
	const want = `[B, S, ${cfg.bottleneck_dim}]`;
	if (t.shape.length !== 3 || t.shape[2] !== cfg.bottleneck_dim) throw new UserError(`${split.kind} input must be activations ${want}, got shape [${t.shape.join(', ')}]`);
	const data = floatData(t);
	if (!data) throw new UserError(`${split.kind} input must be float32, bfloat16 or float16, got ${t.dtype}`);
	return tf.tensor3d(data, t.shape as [number, number, number], 'float32');
}

function checkSeq(stage: LlamaStage, input: tf.Tensor): void {
	const [b, s] = input.shape as [number, number];
	if (b < 1 || s < 1) throw new UserError(`input must have at least one sequence of one token, got [${input.shape.join(', ')}]`);
	if (s > stage.cfg.context_length) throw new UserError(`sequence length ${s} exceeds the config's context_length ${stage.cfg.context_length}`);
}

const out = (t: tf.Tensor, dtype: FloatDtype): TorchTensor => toTorchTensor(new Float32Array(t.dataSync()), t.shape, dtype);

/**
 * Forward only: the output tensor (tail: logits). With `grad` (d output): a dict {output, input_grad,
 * param_grads: {name: tensor or None}}, None where PyTorch's .grad is None (head input, idle decoder).
 */
export function runStage(stage: LlamaStage, weights: Float32Array[], input: TorchTensor, dtype: FloatDtype, grad?: TorchTensor): TorchValue {
	tf.engine().startScope();
	try {
		const w = stage.params.map((p, i) => tf.tensor(weights[i]!, p.shape, 'float32'));
		const x = stageInput(stage, input);
		checkSeq(stage, x);
		if (!grad) return out(stage.forward(w, x), dtype);
		const [b, s] = x.shape;
		const width = stage.split.kind === 'tail' ? stage.cfg.vocab_size : stage.cfg.bottleneck_dim;
		if (grad.shape.join() !== [b, s, width].join()) throw new UserError(`--grad must have the output's shape [${b}, ${s}, ${width}], got [${grad.shape.join(', ')}]`);
		const g = floatData(grad);
		if (!g) throw new UserError(`--grad must be float32, bfloat16 or float16, got ${grad.dtype}`);
		const r = stage.backward(w, x, tf.tensor3d(g, [b!, s!, width], 'float32'));
		const paramGrads = new TorchOrderedDict();
		stage.params.forEach((p, i) => paramGrads.set(p.name, r.weightGrads[i] ? out(r.weightGrads[i]!, dtype) : null));
		return new Map<string, TorchValue>([
			['output', out(r.output, dtype)],
			['input_grad', r.inputGrad ? out(r.inputGrad, dtype) : null],
			['param_grads', paramGrads],
		]);
	} finally {
		tf.engine().endScope();
	}
}

/** A small forward that proves loaded weights run: ids 0..S-1 (head) or a fixed ramp, output checked finite. */
export function smokeForward(stage: LlamaStage, weights: Float32Array[]): {input: number[]; output: number[]; finite: boolean} {
	const s = Math.min(4, stage.cfg.context_length);
	const input: TorchTensor = stage.split.kind === 'head'
		? {dtype: 'int64', shape: [1, s], data: BigInt64Array.from({length: s}, (_, i) => BigInt(i % stage.cfg.vocab_size))}
		: {dtype: 'float32', shape: [1, s, stage.cfg.bottleneck_dim], data: Float32Array.from({length: s * stage.cfg.bottleneck_dim}, (_, i) => Math.sin(i))};
	const y = runStage(stage, weights, input, 'fp32') as TorchTensor;
	return {input: input.shape, output: y.shape, finite: (y.data as Float32Array).every(Number.isFinite)};
}
