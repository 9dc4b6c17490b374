// Builds a small Llama-3-shaped tokenizer.json (byte-level BPE, same pre-tokenizer, decoder, post-processor and the
// 256 special tokens at 128000..128255, 128,256 ids in all) from a built-in text, with no download. For tests.
// Run: node --import tsx scripts/make-test-tokenizer.ts <out-dir>  (writes tokenizer.json and tokenizer_config.json)
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';

export const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const FIRST_SPECIAL = 128000;
export const VOCAB_SIZE = 128256;

/** Llama 3.1/3.2 special tokens: the named ones at their ids, reserved ones filling the rest. */
export function specialTokens(): string[] {
	const named: Record<number, string> = {0: 'begin_of_text', 1: 'end_of_text', 4: 'finetune_right_pad_id', 6: 'start_header_id', 7: 'end_header_id', 8: 'eom_id', 9: 'eot_id', 10: 'python_tag'};
	const out: string[] = [];
	let reserved = 0;
	for (let i = 0; i < VOCAB_SIZE - FIRST_SPECIAL; i++) out.push(`<|${named[i] ?? `reserved_special_token_${reserved++}`}|>`);
	return out;
}

/** GPT-2's byte -> printable character map used by byte-level BPE. */
export function byteChars(): string[] {
	const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
	const out: string[] = [];
	let extra = 0;
	for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(keep(b) ? b : 256 + extra++));
	return out;
}

export function preTokenize(text: string): string[] {
	const chars = byteChars();
	const enc = new TextEncoder();
	return (text.match(new RegExp(LLAMA3_SPLIT, 'gu')) ?? []).map(w => Array.from(enc.encode(w), b => chars[b]!).join(''));
}

export const TRAINING_TEXT = `
The miners of a decentralized training run each hold one stage of a large language model. The first stage turns text
into token ids, looks up their embeddings and sends activations to the next stage; the last stage computes the loss.
Every few hundred steps the miners share pseudo-gradients, merge them partition by partition, and start again.
It's the network's job to keep them in step, and they'll be scored on the work they've done. We don't trust anyone:
activations are hashed, weights are checked, and a miner that cheats is caught. Numbers like 12, 345, 6789 and 2025
show up in logs; so do symbols such as {}, [], (), ->, ==, and "quotes". Training, trained, trainer, trains;
merge, merged, merging, merges; partition, partitions, partitioned. The quick brown fox jumps over the lazy dog.
`;

/** Learns up to `maxMerges` byte-level BPE merges from `text` (most frequent pair first, ties by the pair's text). */
export function trainMerges(text: string, maxMerges: number): Array<[string, string]> {
	const counts = new Map<string, number>();
	for (const w of preTokenize(text.repeat(3))) counts.set(w, (counts.get(w) ?? 0) + 1);
	const words = [...counts].map(([w, c]) => ({sym: Array.from(w), c}));
	const merges: Array<[string, string]> = [];
	for (let m = 0; m < maxMerges; m++) {
		const pairs = new Map<string, number>();
		for (const {sym, c} of words) for (let i = 0; i + 1 < sym.length; i++) {
			const k = `${sym[i]}\u0000${sym[i + 1]}`;
			pairs.set(k, (pairs.get(k) ?? 0) + c);
		}
		let best: string | null = null;
		for (const [k, c] of pairs) if (c >= 2 && (best === null || c > pairs.get(best)! || (c === pairs.get(best)! && k < best))) best = k;
		if (best === null) break;
		const [a, b] = best.split('\u0000') as [string, string];
		merges.push([a, b]);
		for (const w of words) {
			const next: string[] = [];
			for (let i = 0; i < w.sym.length; i++) {
				if (i + 1 < w.sym.length && w.sym[i] === a && w.sym[i + 1] === b) { next.push(a + b); i++; } else next.push(w.sym[i]!);
			}
			w.sym = next;
		}
	}
	return merges;
}

/** The tokenizer.json object and a tokenizer_config.json as Llama-3.2 ships them (base model: eos is <|end_of_text|>). */
export function makeTestTokenizer(maxMerges = 400): {tokenizer: object; config: object; merges: Array<[string, string]>} {
	const vocab: Record<string, number> = {};
	let next = 0;
	for (const c of byteChars()) vocab[c] = next++;
	const merges = trainMerges(TRAINING_TEXT, maxMerges);
	for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = next++;
	// Fill up to 128,000 ordinary ids with 4+ digit strings: the split pattern never yields more than 3 digits in a row,
	// so these ids exist (right vocabulary size) but no text can produce them.
	for (let i = 0; next < FIRST_SPECIAL; i++) vocab[String(i).padStart(6, '0')] = next++;
	const specials = specialTokens();
	const bos = specials[0]!;
	const tokenizer = {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: specials.map((content, i) => ({id: FIRST_SPECIAL + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true})),
		normalizer: null,
		pre_tokenizer: {type: 'Sequence', pretokenizers: [
			{type: 'Split', pattern: {Regex: LLAMA3_SPLIT}, behavior: 'Isolated', invert: false},
			{type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false},
		]},
		post_processor: {type: 'Sequence', processors: [
			{type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true},
			{type: 'TemplateProcessing',
				single: [{SpecialToken: {id: bos, type_id: 0}}, {Sequence: {id: 'A', type_id: 0}}],
				pair: [{SpecialToken: {id: bos, type_id: 0}}, {Sequence: {id: 'A', type_id: 0}}, {SpecialToken: {id: bos, type_id: 1}}, {Sequence: {id: 'B', type_id: 1}}],
				special_tokens: {[bos]: {id: bos, ids: [FIRST_SPECIAL], tokens: [bos]}}},
		]},
		decoder: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true},
		model: {type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges: merges.map(([a, b]) => `${a} ${b}`)},
	};
	const config = {bos_token: bos, eos_token: specials[1], clean_up_tokenization_spaces: true, model_max_length: 131072, tokenizer_class: 'PreTrainedTokenizerFast'};
	return {tokenizer, config, merges};
}

export function writeTestTokenizer(dir: string, maxMerges?: number): string {
	mkdirSync(dir, {recursive: true});
	const {tokenizer, config} = makeTestTokenizer(maxMerges);
	writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
	writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
	return join(dir, 'tokenizer.json');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	const dir = process.argv[2];
	if (!dir) { console.error('usage: make-test-tokenizer.ts <out-dir>'); process.exit(2); }
	console.log(writeTestTokenizer(dir));
}
