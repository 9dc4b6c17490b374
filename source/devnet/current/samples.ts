// Layer-0 sample texts: the corpus (Debian's license texts by default) cut into pieces long enough
// for B*S tokens, stored once in the devnet store under samples/{run}/.
import {PutObjectCommand} from '@aws-sdk/client-s3';
import {readCorpus} from '../../training/data.js';
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

export async function storeSamples(s: CurrentSettings, presigner: Presigner): Promise<string[]> {
	const minBytes = s.mini_batch_size * s.sequence_length * s.sample_bytes_per_token;
	const pieces = cutSamples(readCorpus(s.corpus), minBytes, s.max_samples);
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
