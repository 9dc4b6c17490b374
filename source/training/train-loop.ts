// The single-process training loop behind `train`: data on the main thread, maths in the worker, which holds
// every IOTA Llama-3 stage of the config (llama-model-trainer.ts), each with its own clip norm and inner optimizer.
import {UserError} from '../errors.js';
import type {BackendChoice} from './backend.js';
import {TrainerClient} from './client.js';
import type {ModelConfig} from './config.js';
import {Batcher, byteTokenizer, loadHfTokenizer, packTokens, readCorpus, splitHeldOut, type TextTokenizer} from './data.js';
import {int32} from './tensor-data.js';

export type StepLine = {step: number; loss: number; tokens_per_s: number; heldout_loss?: number};

export type TrainingOptions = {
	config: ModelConfig; steps: number; backend?: BackendChoice; lr: number; batchSize?: number; seqLen?: number;
	accumulate?: number; evalEvery?: number; evalBatches?: number; corpus?: string; tokenizer?: string; seed?: number;
	signal?: AbortSignal; onStep: (line: StepLine) => void; onInfo?: (msg: string) => void;
};

export type TrainingSummary = {backend: string; numParams: number; heldOutBefore: number; heldOutAfter: number; steps: number; tokensPerS: number};

export async function runTraining(o: TrainingOptions): Promise<TrainingSummary> {
	const tok: TextTokenizer = o.tokenizer ? await loadHfTokenizer(o.tokenizer) : byteTokenizer;
	if (tok.vocabSize > o.config.vocabSize && !o.tokenizer) throw new UserError(`config ${o.config.name} has vocab ${o.config.vocabSize}, the byte tokenizer needs ${tok.vocabSize}`, 2);
	const config: ModelConfig = {...o.config, vocabSize: o.tokenizer ? tok.vocabSize : o.config.vocabSize, seqLen: o.seqLen ?? o.config.seqLen, batchSize: o.batchSize ?? o.config.batchSize};
	const {train, heldOut} = splitHeldOut(readCorpus(o.corpus));
	const trainBatches = new Batcher(packTokens(train, tok), config.seqLen, (o.seed ?? 42) + 1);
	const evalStream = packTokens(heldOut, tok);
	const evalSets = Array.from({length: o.evalBatches ?? 4}, (_, i) => new Batcher(evalStream, config.seqLen, 7 + i).next(config.batchSize));
	const accumulate = o.accumulate ?? 1;
	const shape = [config.batchSize, config.seqLen];

	const client = await TrainerClient.start({config, stages: config.splits.map((_, i) => i), seed: o.seed ?? 42, backend: o.backend, engine: 'llama3'});
	let crashed: Error | undefined;
	client.onCrash(e => { crashed = e; });
	try {
		const info = client.info!;
		o.onInfo?.(`backend: ${info.backend.detail}${info.backend.tried.length ? ` (skipped: ${info.backend.tried.join('; ')})` : ''}`);
		o.onInfo?.(`model: ${config.name}, ${info.numParams.toLocaleString('en')} parameters, ${config.splits.length} stages, batch ${config.batchSize}x${config.seqLen}, tokenizer ${tok.name}`);
		const evalLoss = async () => {
			let sum = 0;
			for (const ids of evalSets) sum += (await client.evalLoss(int32(ids, shape))).loss;
			return sum / evalSets.length;
		};
		const heldOutBefore = await evalLoss();
		let heldOutAfter = heldOutBefore;
		let tokens = 0;
		const t0 = performance.now();
		let step = 0;
		for (step = 1; step <= o.steps && !o.signal?.aborted; step++) {
			const start = performance.now();
			let loss = 0;
			for (let a = 0; a < accumulate; a++) loss += (await client.trainBatch(int32(trainBatches.next(config.batchSize), shape))).loss;
			await client.step(o.lr);
			const n = accumulate * config.batchSize * config.seqLen;
			tokens += n;
			const line: StepLine = {step, loss: loss / accumulate, tokens_per_s: n / ((performance.now() - start) / 1000)};
			if (step === o.steps || (o.evalEvery && step % o.evalEvery === 0)) line.heldout_loss = heldOutAfter = await evalLoss();
			o.onStep(line);
		}
		const done = step - 1;
		o.onInfo?.(`held-out loss ${heldOutBefore.toFixed(4)} -> ${heldOutAfter.toFixed(4)} after ${done} steps`);
		return {backend: info.backend.name, numParams: info.numParams, heldOutBefore, heldOutAfter, steps: done, tokensPerS: tokens / ((performance.now() - t0) / 1000)};
	} catch (error) {
		throw crashed ? new UserError(`training worker crashed: ${crashed.message}`) : error;
	} finally {
		await client.close();
	}
}
