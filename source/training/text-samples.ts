// Head-stage samples from a local corpus (a v1 head miner reads its own data): random runs of paragraphs as
// text, each tokenized and cut to [B, S] the way IOTA's head cuts an orchestrator's sample (head-data.ts).
import {UserError} from '../errors.js';
import {sampleToBatch, SampleTooShortError, type SampleTokenizer, type TokenBatch} from './head-data.js';

export class TextSamples {
	private state: number;
	private readonly chars: number;

	constructor(private readonly paragraphs: string[], seed = 1) {
		if (paragraphs.length === 0) throw new UserError('the corpus holds no text for head-stage samples');
		this.state = seed >>> 0 || 1;
		this.chars = paragraphs.reduce((n, p) => n + p.length, 0);
	}

	/** Consecutive paragraphs from a random one, joined by blank lines, at least `minChars` long (wrapping around). */
	text(minChars: number): string {
		this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
		const parts: string[] = [];
		let length = 0;
		for (let i = this.state % this.paragraphs.length; length < minChars; i = (i + 1) % this.paragraphs.length) {
			const p = this.paragraphs[i]!;
			parts.push(p);
			length += p.length + 2;
		}
		return parts.join('\n\n');
	}

	/** One [B, S] batch; a text that tokenizes short is replaced by a longer one (tokens can span several characters). */
	batch(tok: SampleTokenizer, batch: number, seqLen: number): TokenBatch {
		for (let chars = batch * seqLen; ; chars *= 2) {
			try {
				return sampleToBatch(this.text(chars), tok, batch, seqLen);
			} catch (error) {
				if (!(error instanceof SampleTooShortError) || chars > 8 * (this.chars + batch * seqLen)) throw error;
			}
		}
	}
}

/** Int64 ids as the int32 the training worker takes (vocabularies stay far below 2^31). */
export const int32Ids = (b: TokenBatch): Int32Array => Int32Array.from(b.ids, id => Number(id));
