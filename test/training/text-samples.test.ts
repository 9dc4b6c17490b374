// The head stage's local samples: corpus paragraphs as text, tokenized with BOS first and cut to [B, S] as IOTA's
// head cuts an orchestrator sample; with the byte tokenizer of the small configs and a Llama-3-layout tokenizer.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {writeTestTokenizer} from '../../scripts/make-test-tokenizer.js';
import {byteSampleTokenizer, readCorpus, splitHeldOut} from '../../source/training/data.js';
import {SampleTooShortError, sampleToBatch} from '../../source/training/head-data.js';
import {loadLlamaTokenizer, type LlamaTokenizer} from '../../source/training/llama-tokenizer.js';
import {int32Ids, TextSamples} from '../../source/training/text-samples.js';

let dir: string;
let llama: LlamaTokenizer;
before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'iota-samples-'));
	llama = await loadLlamaTokenizer(writeTestTokenizer(dir));
});
after(() => rmSync(dir, {recursive: true, force: true}));

const paragraphs = splitHeldOut(readCorpus()).train;

test('byte tokenizer: each row-major batch is BOS (256) then the UTF-8 bytes of a corpus text', () => {
	const samples = new TextSamples(paragraphs, 7);
	const batch = samples.batch(byteSampleTokenizer, 2, 64);
	assert.deepEqual(batch.shape, [2, 64]);
	const ids = int32Ids(batch);
	assert.equal(ids.length, 128);
	assert.equal(ids[0], 256, 'BOS first');
	assert.ok(ids.slice(1).every(id => id >= 0 && id < 256), 'only bytes after BOS');
	const text = Buffer.from(Uint8Array.from(ids.slice(1))).toString('latin1');
	const corpus = paragraphs.join('\n\n');
	assert.ok(Buffer.from(corpus, 'utf8').toString('latin1').includes(text.slice(0, 60)), 'the bytes come from the corpus');
});

test('Llama-3 tokenizer: BOS 128000 first, ids in the vocabulary, decodes back to corpus text', () => {
	const samples = new TextSamples(paragraphs, 3);
	const batch = samples.batch(llama, 2, 48);
	const ids = Array.from(int32Ids(batch));
	assert.equal(ids.length, 96);
	assert.equal(ids[0], 128000);
	assert.ok(ids.every(id => id >= 0 && id < 128256));
	assert.ok(ids.slice(1).every(id => id < 128000), 'no other special token in a text sample');
	const text = llama.decode(ids.slice(1));
	assert.ok(paragraphs.join('\n\n').includes(text.slice(0, 80)), `decoded text comes from the corpus: ${JSON.stringify(text.slice(0, 80))}`);
});

test('seeds: the same seed gives the same batches, another seed others', () => {
	const a = new TextSamples(paragraphs, 11);
	const b = new TextSamples(paragraphs, 11);
	const c = new TextSamples(paragraphs, 12);
	const [x, y, z] = [a, b, c].map(s => Array.from(int32Ids(s.batch(byteSampleTokenizer, 1, 32))));
	assert.deepEqual(x, y);
	assert.notDeepEqual(x, z);
});

test('a text that tokenizes short is refused by the head cut, and the sampler takes a longer one', () => {
	assert.throws(() => sampleToBatch('short', llama, 1, 64), SampleTooShortError);
	// One tiny paragraph: the sampler wraps around and repeats it until the batch fills.
	const samples = new TextSamples(['ab cd'], 1);
	const ids = int32Ids(samples.batch(llama, 2, 40));
	assert.equal(ids.length, 80);
	assert.equal(ids[0], 128000);
});

test('an empty corpus is a one-line error', () => {
	assert.throws(() => new TextSamples([]), /corpus holds no text/);
});
