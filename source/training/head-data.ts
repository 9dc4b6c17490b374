// Head-stage input as IOTA builds it: a sample text (from a presigned URL) becomes one [B, S] int64 batch.
// Current miner: encode with special tokens (BOS first), refuse samples shorter than B*S tokens, keep the first B*S.
import {gunzipSync} from 'node:zlib';
import {UserError} from '../errors.js';
import type {LlamaTokenizer} from './llama-tokenizer.js';

export type TokenBatch = {ids: BigInt64Array; shape: [batch: number, seqLen: number]};
/** What the head stage needs of a tokenizer: a Llama-3 one, or the small configs' byte tokenizer. */
export type SampleTokenizer = Pick<LlamaTokenizer, 'name' | 'vocabSize' | 'encodeSample'>;

/** A sample with fewer than B*S tokens: IOTA's head refuses it; a local sampler takes a longer text. */
export class SampleTooShortError extends UserError {}

/** UTF-8 text, or gzip of it (objects may be stored compressed without a content-encoding header). */
export function decodeSampleText(bytes: Uint8Array): string {
	const utf8 = new TextDecoder('utf-8', {fatal: true});
	try { return utf8.decode(bytes); } catch { /* fall through to gzip */ }
	try { return utf8.decode(gunzipSync(bytes)); } catch { throw new UserError('sample is neither UTF-8 text nor gzip of it'); }
}

function checkShape(batch: number, seqLen: number): number {
	if (!Number.isSafeInteger(batch) || batch < 1 || !Number.isSafeInteger(seqLen) || seqLen < 1) throw new UserError(`batch shape must be positive integers, got [${batch}, ${seqLen}]`);
	return batch * seqLen;
}

function toBatch(ids: ArrayLike<number>, batch: number, seqLen: number, vocabSize: number): TokenBatch {
	const out = new BigInt64Array(batch * seqLen);
	for (let i = 0; i < out.length; i++) {
		const id = ids[i]!;
		if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new UserError(`token id ${id} is outside the vocabulary (${vocabSize})`);
		out[i] = BigInt(id);
	}
	return {ids: out, shape: [batch, seqLen]};
}

/** One sample text -> [B, S]: tokenized with BOS, first B*S tokens row-major; too short is an error, as in IOTA. */
export function sampleToBatch(text: string, tok: SampleTokenizer, batch: number, seqLen: number): TokenBatch {
	const need = checkShape(batch, seqLen);
	const ids = tok.encodeSample(text);
	if (ids.length < need) throw new SampleTooShortError(`sample is too short: ${ids.length} < ${need} tokens`);
	return toBatch(ids, batch, seqLen, tok.vocabSize);
}

/**
 * IOTA v1's packing loader (for producing samples locally): documents without special tokens, each followed by the
 * end-of-text id, concatenated and cut into whole [B, S] batches; a partial tail is dropped. At most `maxBatches`.
 */
export function packDocuments(texts: Iterable<string>, tok: LlamaTokenizer, batch: number, seqLen: number, maxBatches = 1_000): TokenBatch[] {
	const need = checkShape(batch, seqLen);
	const out: TokenBatch[] = [];
	let buffer: number[] = [];
	for (const text of texts) {
		for (const id of tok.encode(text)) buffer.push(id);
		buffer.push(tok.eot);
		while (buffer.length >= need && out.length < maxBatches) {
			out.push(toBatch(buffer.slice(0, need), batch, seqLen, tok.vocabSize));
			buffer = buffer.slice(need);
		}
		if (out.length >= maxBatches) break;
	}
	return out;
}
