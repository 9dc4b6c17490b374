// The inner optimizer's state as one flat vector, laid out as IOTA flattens torch's optimizer.state_dict():
// parameter by parameter (only those that get gradients), each state tensor in insertion order, "step" skipped.
// NAdam: mu_product (1 value), exp_avg, exp_avg_sq; AdamW: exp_avg, exp_avg_sq.
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../../errors.js';
import type {AdamWState} from './adamw.js';
import type {InnerOptimizer} from './inner-optimizer.js';
import type {NAdamState} from './nadam.js';
import {numel} from './params.js';
import type {LlamaStage} from './stages.js';

const used = (stage: LlamaStage) => stage.params.map((p, i) => ({i, n: numel(p.shape)})).filter(({i}) => stage.isUsed(i));
const extra = (opt: InnerOptimizer) => (opt.kind === 'nadam' ? 1 : 0);

export function optimizerStateLength(stage: LlamaStage, opt: InnerOptimizer): number {
	return used(stage).reduce((s, {n}) => s + extra(opt) + 2 * n, 0);
}

/** A parameter never stepped counts as a fresh state (mu_product 1, zero moments), so every miner's vector has one layout. */
export async function exportOptimizerVector(stage: LlamaStage, opt: InnerOptimizer): Promise<Float32Array> {
	const out = new Float32Array(optimizerStateLength(stage, opt));
	let at = 0;
	for (const {i, n} of used(stage)) {
		const st = opt.state(i);
		if (opt.kind === 'nadam') out[at++] = st ? (st as NAdamState).muProduct : 1;
		if (st) {
			out.set(await st.expAvg.data() as Float32Array, at);
			out.set(await st.expAvgSq.data() as Float32Array, at + n);
		}
		at += 2 * n;
	}
	return out;
}

export function importOptimizerVector(stage: LlamaStage, opt: InnerOptimizer, flat: Float32Array, step: number): void {
	const want = optimizerStateLength(stage, opt);
	if (flat.length !== want) throw new UserError(`optimizer state has ${flat.length} elements, this stage needs ${want}`);
	let at = 0;
	for (const {i, n} of used(stage)) {
		const shape = stage.params[i]!.shape;
		const muProduct = opt.kind === 'nadam' ? flat[at++]! : undefined;
		const expAvg = tf.tensor(flat.slice(at, at + n), shape);
		const expAvgSq = tf.tensor(flat.slice(at + n, at + 2 * n), shape);
		at += 2 * n;
		opt.setState(i, muProduct === undefined ? {step, expAvg, expAvgSq} as AdamWState : {step, muProduct, expAvg, expAvgSq});
	}
}
