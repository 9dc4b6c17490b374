// Rotary tables of IOTA's compute_rope_params: half-split layout, fp32, Llama-3 frequency scaling when configured.
import * as tf from '@tensorflow/tfjs';
import {effectiveRopeBase, type LlamaConfig, type RopeFreq} from './config.js';

const f32 = Math.fround;

/** Llama-3 scaling: long wavelengths divided by `factor`, short ones kept, the band between smoothed. */
function scaleFrequency(inv: number, freq: RopeFreq): number {
	const lowWavelen = freq.original_context_length / freq.low_freq_factor;
	const highWavelen = freq.original_context_length / freq.high_freq_factor;
	const wavelen = f32((2 * Math.PI) / inv);
	if (wavelen > lowWavelen) return f32(inv / freq.factor);
	if (wavelen < highWavelen) return inv;
	const smooth = f32((freq.original_context_length / wavelen - freq.low_freq_factor) / (freq.high_freq_factor - freq.low_freq_factor));
	return f32((1 - smooth) * f32(inv / freq.factor) + smooth * inv);
}

/** Inverse frequencies [headDim / 2], rounded to fp32 step by step as the PyTorch code computes them. */
export function inverseFrequencies(cfg: LlamaConfig): Float32Array {
	const hd = cfg.emb_dim / cfg.n_heads;
	const theta = f32(effectiveRopeBase(cfg));
	const out = new Float32Array(hd / 2);
	for (let i = 0; i < hd / 2; i++) {
		const inv = f32(1 / f32(theta ** f32((2 * i) / hd)));
		out[i] = cfg.rope_freq ? scaleFrequency(inv, cfg.rope_freq) : inv;
	}
	return out;
}

/** cos/sin [t, headDim / 2]; PyTorch repeats them over both halves, ../ops.ts rope() applies them that way. */
export function ropeTables(cfg: LlamaConfig, t: number): {cos: tf.Tensor2D; sin: tf.Tensor2D} {
	const inv = inverseFrequencies(cfg);
	const half = inv.length;
	const cos = new Float32Array(t * half);
	const sin = new Float32Array(t * half);
	for (let p = 0; p < t; p++) {
		for (let i = 0; i < half; i++) {
			const angle = f32(p * inv[i]!);
			cos[p * half + i] = Math.cos(angle);
			sin[p * half + i] = Math.sin(angle);
		}
	}
	return {cos: tf.tensor2d(cos, [t, half]), sin: tf.tensor2d(sin, [t, half])};
}
