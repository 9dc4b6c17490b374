// Text -> token ids for the head stage. Default corpus: the license texts in /usr/share/common-licenses
// (Debian's base-files, present on every Debian/Ubuntu system; ~260 KB of real English prose).
// Default tokenizer: bytes (ids 0..255) with end-of-text 256. A Hugging Face tokenizer.json can be used instead.
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {UserError} from '../errors.js';

export const DEFAULT_CORPUS = '/usr/share/common-licenses';

export type TextTokenizer = {name: string; vocabSize: number; eot: number; encode(text: string): number[]};

export const byteTokenizer: TextTokenizer = {
	name: 'bytes',
	vocabSize: 257,
	eot: 256,
	encode: text => Array.from(new TextEncoder().encode(text)),
};

/** The byte tokenizer as a head-stage sample tokenizer: end-of-text (256) stands first, as Llama-3's BOS does. */
export const byteSampleTokenizer = {
	...byteTokenizer,
	bos: 256,
	encodeSample: (text: string) => [256, ...byteTokenizer.encode(text)],
};

/** Loads a Hugging Face tokenizer.json (with tokenizer_config.json beside it if present). */
export async function loadHfTokenizer(path: string): Promise<TextTokenizer> {
	if (!existsSync(path)) throw new UserError(`tokenizer file not found: ${path}`);
	let json: any;
	try { json = JSON.parse(readFileSync(path, 'utf8')); } catch { throw new UserError(`tokenizer file is not valid JSON: ${path}`); }
	const cfgPath = join(path, '..', 'tokenizer_config.json');
	const cfg = existsSync(cfgPath) ? JSON.parse(readFileSync(cfgPath, 'utf8')) : {};
	const {Tokenizer} = await import('@huggingface/tokenizers');
	const tok = new Tokenizer(json, cfg);
	const vocab = json?.model?.vocab;
	const added: Array<{id: number; content: string}> = json?.added_tokens ?? [];
	const size = Math.max(
		vocab && typeof vocab === 'object' ? (Array.isArray(vocab) ? vocab.length : Math.max(...Object.values(vocab as Record<string, number>)) + 1) : 0,
		...added.map(t => t.id + 1),
	);
	const eosName = typeof cfg.eos_token === 'string' ? cfg.eos_token : cfg.eos_token?.content;
	const eos = added.find(t => t.content === eosName) ?? added.find(t => /end_of_text|<\/s>|<\|endoftext\|>|eos/i.test(t.content));
	if (!eos) throw new UserError(`tokenizer ${path} has no end-of-text token`);
	return {name: path, vocabSize: size, eot: eos.id, encode: text => tok.encode(text, {add_special_tokens: false} as any).ids as number[]};
}

/** Reads a corpus file or every regular file in a directory (sorted), as documents. */
export function readCorpus(path = DEFAULT_CORPUS): string[] {
	if (!existsSync(path)) throw new UserError(`corpus not found: ${path} (pass --corpus <file or directory>)`);
	const files = statSync(path).isDirectory()
		? readdirSync(path).sort().map(f => join(path, f)).filter(f => statSync(f).isFile())
		: [path];
	const docs = files.map(f => readFileSync(f, 'utf8')).filter(t => t.trim().length > 0);
	if (docs.length === 0) throw new UserError(`corpus ${path} holds no text`);
	return docs;
}

/** Splits documents into paragraphs and holds out every `every`-th one, so held-out text is unseen but similar. */
export function splitHeldOut(docs: string[], every = 10): {train: string[]; heldOut: string[]} {
	const paras = docs.flatMap(d => d.split(/\n\s*\n/)).map(p => p.trim()).filter(p => p.length > 0);
	const train: string[] = [];
	const heldOut: string[] = [];
	paras.forEach((p, i) => (i % every === every - 1 ? heldOut : train).push(p));
	return {train, heldOut};
}

/** Tokenises texts and packs them into one stream, each followed by end-of-text. */
export function packTokens(texts: string[], tok: TextTokenizer): Int32Array {
	const out: number[] = [];
	for (const t of texts) { for (const id of tok.encode(t)) out.push(id); out.push(tok.eot); }
	return Int32Array.from(out);
}

/** Cuts `count` windows of `seqLen` tokens; random offsets from a seeded generator, or consecutive when `sequential`. */
export class Batcher {
	private state: number;
	private cursor = 0;
	constructor(readonly stream: Int32Array, readonly seqLen: number, seed = 1, readonly sequential = false) {
		if (stream.length < seqLen + 1) throw new UserError(`corpus has ${stream.length} tokens, need at least ${seqLen + 1}`);
		this.state = seed >>> 0 || 1;
	}
	next(batch: number): Int32Array {
		const out = new Int32Array(batch * this.seqLen);
		const span = this.stream.length - this.seqLen;
		for (let b = 0; b < batch; b++) {
			let start: number;
			if (this.sequential) { start = this.cursor; this.cursor = (this.cursor + this.seqLen) % span; }
			else { this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0; start = this.state % span; }
			out.set(this.stream.subarray(start, start + this.seqLen), b * this.seqLen);
		}
		return out;
	}
}
