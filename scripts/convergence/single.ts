// The single-process baseline: every stage of the same model in one worker, the same init (seed 42), inner optimizer,
// learning rate and [B, S], trained on the devnet's samples in the order the orchestrator serves them.
import type {BackendChoice} from '../../source/training/backend.js';
import {TrainerClient} from '../../source/training/client.js';
import type {ModelConfig} from '../../source/training/config.js';
import {int32} from '../../source/training/tensor-data.js';
import {meanLoss} from './evaluate.js';

export type SingleResult = {losses: number[]; heldOutBefore: number; heldOutAfter: number; seconds: number};

export type SingleOptions = {
	config: ModelConfig;
	backend: BackendChoice;
	lr: number;
	useAdamW: boolean;
	/** Optimizer steps; the swarm's miners take one per batch (localSteps 1). */
	steps: number;
	/** Batches per optimizer step (their gradients averaged), 1 unless asked. */
	accumulate?: number;
	samples: Int32Array[];
	evalSet: Int32Array[];
	onStep?: (step: number, loss: number) => void;
};

export async function runSingle(o: SingleOptions): Promise<SingleResult> {
	const {config} = o;
	const shape = [config.batchSize, config.seqLen];
	const t0 = Date.now();
	const client = await TrainerClient.start({config, stages: config.splits.map((_, i) => i), seed: 42, backend: o.backend, engine: 'llama3', useAdamW: o.useAdamW});
	try {
		const heldOutBefore = await meanLoss(client, o.evalSet, shape);
		const losses: number[] = [];
		const per = o.accumulate ?? 1;
		for (let i = 0; i < o.steps; i++) {
			for (let a = 0; a < per; a++) {
				const r = await client.trainBatch(int32(o.samples[(i * per + a) % o.samples.length]!.slice(), shape));
				losses.push(r.loss);
				o.onStep?.(losses.length, r.loss);
			}
			await client.step(o.lr);
		}
		const heldOutAfter = await meanLoss(client, o.evalSet, shape);
		return {losses, heldOutBefore, heldOutAfter, seconds: (Date.now() - t0) / 1000};
	} finally {
		await client.close();
	}
}
