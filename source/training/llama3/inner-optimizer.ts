// IOTA's inner (per-miner) optimizer: NAdam with a stage-dependent beta1, or AdamW when use_AdamW is on.
// Settings from shared/common/src/common/settings.py; a parameter without a gradient is skipped, as in torch.
import type * as tf from '@tensorflow/tfjs';
import {adamwStep, type AdamWState, newAdamWState} from './adamw.js';
import {type AdamOptions, nadamStep, type NAdamOptions, type NAdamState, newNAdamState} from './nadam.js';

/** LEARNING_RATE, BETAS, EPS, WEIGHT_DECAY, MOMENTUM_DECAY (1.0, not torch's default 0.004). */
export const IOTA_INNER = {lr: 2e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, momentumDecay: 1.0};

/** beta1 = 0.9 + 0.09 (n_stages - layer - 1) / n_stages: later stages keep less momentum. layer is 0-based. */
export function stageBeta1(nStages: number, layer: number): number {
	if (!(Number.isInteger(layer) && layer >= 0 && layer < nStages)) throw new Error(`layer ${layer} not in 0..${nStages - 1}`);
	return 0.9 + ((nStages - (layer + 1)) / nStages) * 0.09;
}

export class InnerOptimizer {
	private states: Array<NAdamState | AdamWState | null>;

	constructor(readonly kind: 'nadam' | 'adamw', readonly options: NAdamOptions, count: number) {
		this.states = Array.from({length: count}, () => null);
	}

	/** IOTA's choice for stage `layer` of `nStages`. */
	static forStage(nStages: number, layer: number, useAdamW: boolean, count: number): InnerOptimizer {
		const beta1 = useAdamW ? IOTA_INNER.beta1 : stageBeta1(nStages, layer);
		return new InnerOptimizer(useAdamW ? 'adamw' : 'nadam', {...IOTA_INNER, beta1}, count);
	}

	/**
	 * New parameters (the caller disposes old ones); a null gradient returns the same tensor and leaves its state untouched.
	 * gradScale (fused webgpu kernels only) multiplies each gradient inside the step.
	 */
	step(params: tf.Tensor[], grads: Array<tf.Tensor | null>, lr = this.options.lr, gradScale = 1): tf.Tensor[] {
		if (params.length !== this.states.length || grads.length !== params.length) throw new Error('parameter count changed');
		const o = {...this.options, lr, gradScale};
		return params.map((p, i) => {
			const g = grads[i];
			if (!g) return p;
			if (this.kind === 'adamw') return adamwStep(p, g, (this.states[i] ??= newAdamWState(p)), o as AdamOptions);
			return nadamStep(p, g, (this.states[i] ??= newNAdamState(p)) as NAdamState, o);
		});
	}

	state(i: number): Readonly<NAdamState | AdamWState> | null { return this.states[i] ?? null; }

	/** Replaces parameter i's state (an imported one); the old moments are disposed. */
	setState(i: number, st: NAdamState | AdamWState | null): void {
		const old = this.states[i];
		if (old) { old.expAvg.dispose(); old.expAvgSq.dispose(); }
		this.states[i] = st;
	}

	dispose(): void {
		for (const st of this.states) if (st) { st.expAvg.dispose(); st.expAvgSq.dispose(); }
		this.states.fill(null);
	}
}
