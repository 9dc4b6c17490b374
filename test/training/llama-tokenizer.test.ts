// The Llama-3-style tokenizer (generated, no download) through @huggingface/tokenizers, and the head stage's
// text -> [B, S] int64 batches: round trips, ids in range, a reference BPE, shapes, BOS, determinism, refusals.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {gzipSync} from 'node:zlib';
import {FIRST_SPECIAL, TRAINING_TEXT, makeTestTokenizer, preTokenize, writeTestTokenizer} from '../../scripts/make-test-tokenizer.js';
import {LLAMA3_VOCAB_SIZE, llamaTokenizerFrom, loadLlamaTokenizer, type LlamaTokenizer} from '../../source/training/llama-tokenizer.js';
import {decodeSampleText, packDocuments, sampleToBatch} from '../../source/training/head-data.js';

let dir: string;
let tok: LlamaTokenizer;
let json: any;
before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-tok-'));
	const path = writeTestTokenizer(dir);
	json = JSON.parse(readFileSync(path, 'utf8'));
	tok = await loadLlamaTokenizer(path);
});
after(() => rmSync(dir, {recursive: true, force: true}));

const TEXTS = [
	'The miners merge partitions.',
	"It's 2025; they've trained 12345 steps -> loss == 2.5!\n\n  Indented line\ttab",
	'Ünïcödé, 中文, emoji 😀 and a lone \r\n carriage return.',
	'',
	'   leading and trailing spaces   ',
];

test('the generated tokenizer has the Llama-3.2 id layout', () => {
	assert.equal(tok.vocabSize, 128256);
	assert.equal(tok.bos, 128000);
	assert.equal(tok.eot, 128001, 'base-model eos <|end_of_text|>');
	const added = json.added_tokens as Array<{id: number; content: string; special: boolean}>;
	assert.equal(added.length, 256);
	const byId = new Map(added.map(t => [t.id, t.content]));
	assert.equal(byId.get(128000), '<|begin_of_text|>');
	assert.equal(byId.get(128004), '<|finetune_right_pad_id|>');
	assert.equal(byId.get(128009), '<|eot_id|>');
	assert.equal(byId.get(128011), '<|reserved_special_token_3|>');
	assert.equal(byId.get(128255), '<|reserved_special_token_247|>');
	assert.equal(Object.keys(json.model.vocab).length, FIRST_SPECIAL);
	assert.equal(json.pre_tokenizer.pretokenizers[0].behavior, 'Isolated');
	assert.equal(json.decoder.type, 'ByteLevel');
	assert.equal(json.model.ignore_merges, true);
});

test('encode/decode round trips and every id is in range', () => {
	for (const text of TEXTS) {
		const ids = tok.encode(text);
		for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < FIRST_SPECIAL, `id ${id}`);
		assert.equal(tok.decode(ids), text);
		const withBos = tok.encodeSample(text);
		assert.deepEqual(withBos, [128000, ...ids], 'encodeSample = BOS + encode');
		assert.equal(tok.decode(withBos, {skipSpecial: true}), text);
		assert.equal(tok.decode(withBos), '<|begin_of_text|>' + text);
	}
	assert.deepEqual(tok.encode('a<|eot_id|>b'), [...tok.encode('a'), 128009, ...tok.encode('b')], 'special tokens in text are matched');
});

test('ids equal an independent BPE over the same pre-tokenizer and merges', () => {
	const vocab = json.model.vocab as Record<string, number>;
	const rank = new Map((json.model.merges as string[]).map((m, i) => [m, i]));
	const reference = (text: string) => preTokenize(text).flatMap(word => {
		if (word in vocab) return [vocab[word]!];
		let sym = Array.from(word);
		for (let guard = 0; guard < 10_000 && sym.length > 1; guard++) {
			let best = -1;
			let bestRank = Infinity;
			for (let i = 0; i + 1 < sym.length; i++) {
				const r = rank.get(`${sym[i]} ${sym[i + 1]}`);
				if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
			}
			if (best < 0) break;
			sym = [...sym.slice(0, best), sym[best]! + sym[best + 1]!, ...sym.slice(best + 2)];
		}
		return sym.map(s => vocab[s]!);
	});
	// Source text as a varied corpus; special-token markers are broken up since the library (rightly) matches them first.
	const corpus = readFileSync(new URL('../../scripts/make-test-tokenizer.ts', import.meta.url), 'utf8').replaceAll('<|', '< |');
	for (const text of [...TEXTS, corpus]) assert.deepEqual(tok.encode(text), reference(text));
	assert.ok(tok.encode(TRAINING_TEXT).length < new TextEncoder().encode(TRAINING_TEXT).length * 0.5, 'merges compress the text they were learned from');
});

test('generation and encoding are deterministic', async () => {
	const again = makeTestTokenizer();
	assert.equal(JSON.stringify(again.tokenizer), JSON.stringify(json));
	const tok2 = await llamaTokenizerFrom(again.tokenizer, again.config);
	for (const text of TEXTS) assert.deepEqual(tok2.encodeSample(text), tok.encodeSample(text));
});

test('tokenizers without the Llama-3 layout are refused', async () => {
	const {tokenizer, config} = makeTestTokenizer(50);
	const small = structuredClone(tokenizer) as any;
	delete small.model.vocab['000000'];
	await assert.rejects(llamaTokenizerFrom(small, config), /has 128255 ids, a Llama-3 tokenizer has 128256/);
	const noBos = structuredClone(tokenizer) as any;
	noBos.added_tokens[0].content = '<s>';
	await assert.rejects(llamaTokenizerFrom(noBos, config), /lacks <\|begin_of_text\|> at 128000/);
	const noTemplate = structuredClone(tokenizer) as any;
	noTemplate.post_processor = null;
	await assert.rejects(llamaTokenizerFrom(noTemplate, config), /does not add <\|begin_of_text\|>/);
	writeFileSync(join(dir, 'broken.json'), '{');
	await assert.rejects(loadLlamaTokenizer(join(dir, 'broken.json')), /not valid JSON/);
	assert.equal(LLAMA3_VOCAB_SIZE, 128256);
});

// ---- head stage data ----

const LONG = Array.from({length: 40}, (_, i) => `Paragraph ${i}: the miners merge partition ${i * 7} and train again.`).join('\n');

test('a sample becomes [B, S] int64: BOS first, the first B*S tokens row-major', () => {
	const ids = tok.encodeSample(LONG);
	const {ids: batch, shape} = sampleToBatch(LONG, tok, 4, 32);
	assert.deepEqual(shape, [4, 32]);
	assert.ok(batch instanceof BigInt64Array);
	assert.equal(batch.length, 128);
	assert.equal(batch[0], 128000n);
	assert.deepEqual([...batch].map(Number), ids.slice(0, 128));
	assert.equal(Number(batch[32]), ids[32], 'row 1 starts where row 0 ends (no per-row BOS or padding)');
	for (const v of batch) assert.ok(v >= 0n && v < 128256n);
	assert.deepEqual(sampleToBatch(LONG, tok, 4, 32).ids, batch, 'deterministic');
	assert.throws(() => sampleToBatch('too short', tok, 4, 32), /^UserError: sample is too short: \d+ < 128 tokens$|sample is too short: \d+ < 128 tokens/);
	assert.throws(() => sampleToBatch(LONG, tok, 0, 32), /positive integers/);
	const exact = tok.encodeSample(LONG).length;
	assert.equal(sampleToBatch(LONG, tok, 1, exact).ids.length, exact, 'exactly B*S tokens is enough');
	assert.throws(() => sampleToBatch(LONG, tok, 1, exact + 1), /too short/);
});

test('sample bytes: UTF-8, or gzip of it; anything else refused', () => {
	assert.equal(decodeSampleText(new TextEncoder().encode('héllo')), 'héllo');
	assert.equal(decodeSampleText(gzipSync(Buffer.from('héllo'))), 'héllo');
	assert.throws(() => decodeSampleText(Uint8Array.of(0xff, 0xfe, 0x00)), /neither UTF-8 text nor gzip/);
});

test('v1 packing: documents + end-of-text, cut into whole batches, tail dropped', () => {
	const docs = ['first document here.', 'second one, a bit longer than the first.', 'third.'];
	const stream = docs.flatMap(d => [...tok.encode(d), tok.eot]);
	const batches = packDocuments(docs, tok, 2, 5);
	assert.equal(batches.length, Math.floor(stream.length / 10));
	batches.forEach((b, i) => {
		assert.deepEqual(b.shape, [2, 5]);
		assert.deepEqual([...b.ids].map(Number), stream.slice(10 * i, 10 * i + 10));
	});
	assert.ok(stream.includes(128001) && !stream.includes(128000), 'EOS between documents, no BOS');
	assert.equal(packDocuments(docs, tok, 2, 5, 1).length, 1);
});
