// Held-out loss of a whole model (every stage in one training worker), from its seeded init or given weights.
import type {BackendChoice} from '../../source/training/backend.js';
import {TrainerClient} from '../../source/training/client.js';
import type {ModelConfig} from '../../source/training/config.js';
import {int32} from '../../source/training/tensor-data.js';

/** Mean loss over the batches; the ids are copied, since the worker takes ownership of what it is sent. */
export async function meanLoss(client: TrainerClient, batches: Int32Array[], shape: number[]): Promise<number> {
	let sum = 0;
	for (const ids of batches) sum += (await client.evalLoss(int32(ids.slice(), shape))).loss;
	return sum / batches.length;
}

/** Loads bf16 weights (the stages one after another, head first) into a fresh worker and evaluates them. */
export async function evalWeights(config: ModelConfig, backend: BackendChoice, weights: Uint8Array, batches: Int32Array[]): Promise<number> {
	const client = await TrainerClient.start({config, stages: config.splits.map((_, i) => i), seed: 42, backend, engine: 'llama3'});
	try {
		await client.importWeights(weights, 'bf16');
		return await meanLoss(client, batches, [config.batchSize, config.seqLen]);
	} finally {
		await client.close();
	}
}
