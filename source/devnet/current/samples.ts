// Layer-0 sample texts: the corpus (Debian's license texts by default) cut into pieces long enough
// for B*S tokens, stored once in the devnet store under samples/{run}/.
import {existsSync} from 'node:fs';
import {PutObjectCommand} from '@aws-sdk/client-s3';
import {DEFAULT_CORPUS, readCorpus} from '../../training/data.js';
import type {Presigner} from '../../storage/presign.js';
import {sampleKey} from './objects.js';
import type {CurrentSettings} from './settings.js';

/** The corpus as pieces of at least `minBytes` UTF-8 bytes, cut at whitespace; a short corpus is repeated. */
export function cutSamples(docs: string[], minBytes: number, max: number): string[] {
	let text = docs.map(d => d.trim()).join('\n\n');
	if (text.length === 0) throw new Error('the corpus holds no text');
	while (Buffer.byteLength(text) < minBytes + 1) text += `\n\n${text}`;
	// Cut in bytes: ASCII whitespace never occurs inside a UTF-8 sequence, so cuts land on characters.
	const buf = Buffer.from(text);
	const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;
	const out: string[] = [];
	let at = 0;
	while (out.length < max && at < buf.length) {
		let end = Math.min(buf.length, at + minBytes);
		while (end < buf.length && !isSpace(buf[end]!)) end++;
		const piece = buf.subarray(at, end).toString('utf8').trim();
		if (Buffer.byteLength(piece) >= minBytes) out.push(piece);
		at = end;
	}
	if (out.length === 0) out.push(text);
	return out;
}

const WORDS = 'the a of to and in that is for on with as by at from this it be are was or an which one all their more will can other these into only new some time about than most over such also after first may well two many'.split(' ');

/** Where the default corpus is missing (not Debian-like): deterministic word salad, 64 KB of it. */
export function fallbackCorpus(): string {
	let s = 1;
	const words: string[] = [];
	for (let i = 0; i < 12_000; i++) {
		s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
		words.push(WORDS[s % WORDS.length]!);
	}
	return words.join(' ');
}

export async function storeSamples(s: CurrentSettings, presigner: Presigner, log: (line: string) => void = () => {}): Promise<string[]> {
	const minBytes = s.mini_batch_size * s.sequence_length * s.sample_bytes_per_token;
	const fallback = s.corpus === DEFAULT_CORPUS && !existsSync(DEFAULT_CORPUS);
	if (fallback) log(`orchestrator: no ${DEFAULT_CORPUS}: layer-0 samples are generated text`);
	const pieces = cutSamples(fallback ? [fallbackCorpus()] : readCorpus(s.corpus), minBytes, s.max_samples);
	const keys = pieces.map((_, i) => sampleKey(s.run_id, i));
	// A few at a time: the store is s3rver on the same machine.
	for (let i = 0; i < pieces.length; i += 8) {
		await Promise.all(
			pieces.slice(i, i + 8).map((text, j) =>
				presigner.s3.send(new PutObjectCommand({Bucket: presigner.bucket, Key: keys[i + j]!, Body: text, ContentType: 'text/plain; charset=utf-8'})),
			),
		);
	}
	return keys;
}
