// IOTA's outer optimizer on one chunk: SGD with Nesterov momentum (lr 0.7, momentum warming up 0.5 -> 0.9 over 20 epochs).
import {UserError} from '../../errors.js';
import {addBf16, addScaled, mulScalar, sameLength, type ScalarRounding} from './bf16-ops.js';

export const NESTEROV_LEARNING_RATE = 0.7;
export const NESTEROV_MOMENTUM = 0.9;
export const NESTEROV_MOMENTUM_WARMUP_START = 0.5;
export const NESTEROV_MOMENTUM_WARMUP_EPOCHS = 20;

/** get_outer_optimizer_warmup_momentum: start + (end - start) * epoch / 20 before epoch 20, then 0.9 (same double arithmetic). */
export function outerMomentum(epoch: number): number {
	if (!Number.isSafeInteger(epoch) || epoch < 0) throw new UserError(`epoch must be a non-negative integer, got ${epoch}`);
	if (NESTEROV_MOMENTUM_WARMUP_EPOCHS <= 0 || epoch >= NESTEROV_MOMENTUM_WARMUP_EPOCHS) return NESTEROV_MOMENTUM;
	const progress = epoch / NESTEROV_MOMENTUM_WARMUP_EPOCHS;
	return NESTEROV_MOMENTUM_WARMUP_START + (NESTEROV_MOMENTUM - NESTEROV_MOMENTUM_WARMUP_START) * progress;
}

export type OuterStep = {weights: Uint16Array; momentum: Uint16Array};

/**
 * merge_partition_batch's update, all tensors bf16 on CPU:
 *   buf = old_buf.mul_(μ).add_(avg)            (buf = avg.clone() when there is no previous state)
 *   new = old_w.add(avg.add(buf, alpha=μ), alpha=-lr)
 * Every op rounds to bf16. torch's add turns alpha into a bf16 first (so μ and -0.7 act as bf16(μ) and -0.69921875)
 * and runs a fused multiply-add in fp32; mul_ by a Python float keeps it fp32 on torch >= 2.0 (`scalarRounding`).
 * Returns the new weights and the new momentum buffer (what the partition blob carries as optimizer_state).
 */
export function nesterovStep(oldWeights: Uint16Array, avg: Uint16Array, oldMomentum: Uint16Array | null, momentum: number, opts: {lr?: number; scalarRounding?: ScalarRounding} = {}): OuterStep {
	if (oldMomentum) sameLength('outer step (weights, average, momentum)', oldWeights, avg, oldMomentum);
	else sameLength('outer step (weights, average)', oldWeights, avg);
	const lr = opts.lr ?? NESTEROV_LEARNING_RATE;
	const buf = oldMomentum ? addBf16(mulScalar(oldMomentum, momentum, opts.scalarRounding), avg) : avg.slice();
	const update = addScaled(avg, buf, momentum);
	return {weights: addScaled(oldWeights, update, -lr), momentum: buf};
}
