// Llama-3 byte-level BPE tokenizer from a Hugging Face tokenizer.json, checked for the Llama-3.2 id layout
// (128,256 ids, <|begin_of_text|> = 128000) that IOTA's embedding and output head are sized for.
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {UserError} from '../errors.js';
import type {TextTokenizer} from './data.js';

export const LLAMA3_VOCAB_SIZE = 128256;
export const LLAMA3_BOS = '<|begin_of_text|>';
export const LLAMA3_EOS = '<|end_of_text|>';

export type LlamaTokenizer = TextTokenizer & {
	bos: number;
	/** As transformers' `tokenizer.encode(text)` (IOTA's head stage): special tokens on, so BOS comes first. */
	encodeSample(text: string): number[];
	/** Exact inverse of encode for ordinary text: no whitespace clean-up; special tokens kept unless skipped. */
	decode(ids: number[], opts?: {skipSpecial?: boolean}): string;
};

function readJson(path: string, what: string): any {
	try { return JSON.parse(readFileSync(path, 'utf8')); } catch { throw new UserError(`${what} is not valid JSON: ${path}`); }
}

/** Loads tokenizer.json (and tokenizer_config.json beside it when present). */
export async function loadLlamaTokenizer(path: string): Promise<LlamaTokenizer> {
	if (!existsSync(path)) throw new UserError(`tokenizer file not found: ${path}`);
	const cfgPath = join(dirname(path), 'tokenizer_config.json');
	return llamaTokenizerFrom(readJson(path, 'tokenizer file'), existsSync(cfgPath) ? readJson(cfgPath, 'tokenizer config') : {}, path);
}

export async function llamaTokenizerFrom(json: any, config: any, name = 'tokenizer.json'): Promise<LlamaTokenizer> {
	if (json?.model?.type !== 'BPE' || typeof json.model.vocab !== 'object') throw new UserError(`${name} is not a BPE tokenizer`);
	const added: Array<{id: number; content: string}> = Array.isArray(json.added_tokens) ? json.added_tokens : [];
	const ids = new Set<number>([...Object.values(json.model.vocab as Record<string, number>), ...added.map(t => t.id)]);
	const size = ids.size;
	let inRange = true;
	for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= LLAMA3_VOCAB_SIZE) inRange = false;
	// 128,256 distinct ids all inside 0..128255 means every id is used exactly once.
	if (size !== LLAMA3_VOCAB_SIZE || !inRange) throw new UserError(`${name} has ${size} ids, a Llama-3 tokenizer has ${LLAMA3_VOCAB_SIZE} (0..${LLAMA3_VOCAB_SIZE - 1})`);
	const idOf = (content: string) => added.find(t => t.content === content)?.id;
	const bos = idOf(LLAMA3_BOS);
	const eosName = typeof config.eos_token === 'string' ? config.eos_token : config.eos_token?.content ?? LLAMA3_EOS;
	const eos = idOf(eosName);
	if (bos !== 128000 || eos === undefined) throw new UserError(`${name} lacks ${LLAMA3_BOS} at 128000 or its end-of-text token`);
	const {Tokenizer} = await import('@huggingface/tokenizers');
	const tok = new Tokenizer(json, config);
	const encode = (text: string, special: boolean) => tok.encode(text, {add_special_tokens: special}).ids as number[];
	if (encode('', true)[0] !== bos) throw new UserError(`${name} does not add ${LLAMA3_BOS} (its post-processor is not Llama-3's)`);
	return {
		name,
		vocabSize: LLAMA3_VOCAB_SIZE,
		eot: eos,
		bos,
		encode: text => encode(text, false),
		encodeSample: text => encode(text, true),
		// The library refuses an empty list; the empty text is its decoding.
		decode: (list, opts) => list.length === 0 ? '' : tok.decode(list, {skip_special_tokens: opts?.skipSpecial ?? false, clean_up_tokenization_spaces: false}),
	};
}
