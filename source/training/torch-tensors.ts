// TF.js tensors <-> torch.save tensors (fp32 or bf16, as IOTA sends activations) and stage weights <-> state_dict.
import * as tf from '@tensorflow/tfjs';
import {bf16ToFloat32, float32ToBf16} from './torch/half.js';
import {isTensor, tensor, TorchOrderedDict, type TorchTensor, type TorchValue} from './torch/values.js';

export type WireDtype = 'float32' | 'bfloat16';

/** A float TF.js tensor as a torch tensor; bfloat16 rounds to nearest even, as torch's .to(torch.bfloat16). */
export function toTorchTensor(t: tf.Tensor, dtype: WireDtype = 'float32'): TorchTensor {
	const values = Float32Array.from(t.dataSync());
	return dtype === 'bfloat16' ? tensor('bfloat16', [...t.shape], float32ToBf16(values)) : tensor('float32', [...t.shape], values);
}

/** A float32 or bfloat16 torch tensor as a float32 TF.js tensor (bf16 widens exactly). */
export function fromTorchTensor(value: TorchValue, what = 'tensor'): tf.Tensor {
	if (!isTensor(value)) throw new Error(`${what}: expected a tensor`);
	if (value.dtype === 'float32') return tf.tensor(value.data as Float32Array, value.shape, 'float32');
	if (value.dtype === 'bfloat16') return tf.tensor(bf16ToFloat32(value.data as Uint16Array), value.shape, 'float32');
	throw new Error(`${what}: expected float32 or bfloat16, got ${value.dtype}`);
}

/** Stage weights as a PyTorch state_dict (fp32), keyed by parameter name in parameters() order. */
export function stateDict(names: readonly string[], weights: readonly tf.Tensor[]): TorchOrderedDict {
	if (names.length !== weights.length) throw new Error(`${names.length} names for ${weights.length} weights`);
	const sd = new TorchOrderedDict();
	names.forEach((n, i) => sd.set(n, toTorchTensor(weights[i]!)));
	return sd;
}

/** Weights in `names` order from a state_dict; refuses a missing, extra or mis-shaped entry. */
export function weightsFromStateDict(names: readonly string[], shapes: readonly number[][], value: TorchValue): tf.Tensor[] {
	if (!(value instanceof Map)) throw new Error('state_dict: expected a dict');
	if (value.size !== names.length) throw new Error(`state_dict has ${value.size} entries, the stage ${names.length}`);
	return names.map((n, i) => {
		const t = fromTorchTensor(value.get(n) ?? null, `state_dict[${n}]`);
		if (t.shape.join() !== shapes[i]!.join()) throw new Error(`state_dict[${n}]: shape [${t.shape}] instead of [${shapes[i]}]`);
		return t;
	});
}
