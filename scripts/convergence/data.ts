// The tokens both runs see: the corpus's training paragraphs cut into the devnet's layer-0 samples, and held-out
// paragraphs (never in any sample) packed into the evaluation batches.
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {cutSamples} from '../../source/devnet/current/samples.js';
import {Batcher, byteSampleTokenizer, byteTokenizer, DEFAULT_CORPUS, packTokens, readCorpus, splitHeldOut} from '../../source/training/data.js';
import {sampleToBatch} from '../../source/training/head-data.js';
import {int32Ids} from '../../source/training/text-samples.js';

export type Corpus = {trainFile: string; heldOut: string[]};

/** Writes the training paragraphs to `dir`/train.txt: the devnet cuts its samples from that file only. */
export function splitCorpus(dir: string, path = DEFAULT_CORPUS): Corpus {
	const {train, heldOut} = splitHeldOut(readCorpus(path));
	const trainFile = join(dir, 'train.txt');
	writeFileSync(trainFile, train.join('\n\n'));
	return {trainFile, heldOut};
}

/**
 * The devnet's samples as its orchestrator cuts them (samples.ts, same bytes-per-token and cap), each as the [B, S]
 * batch a head miner makes of it (BOS first). The orchestrator serves them in order, cycling: sample n % count.
 */
export function sampleBatches(trainFile: string, batch: number, seqLen: number, bytesPerToken = 6, max = 512): Int32Array[] {
	const texts = cutSamples(readCorpus(trainFile), batch * seqLen * bytesPerToken, max);
	return texts.map(t => int32Ids(sampleToBatch(t, byteSampleTokenizer, batch, seqLen)));
}

/** Fixed held-out batches (seeded windows of the packed held-out paragraphs), the same for both models. */
export function evalBatches(heldOut: string[], count: number, batch: number, seqLen: number): Int32Array[] {
	const stream = packTokens(heldOut, byteTokenizer);
	return Array.from({length: count}, (_, i) => new Batcher(stream, seqLen, 7 + i).next(batch));
}
