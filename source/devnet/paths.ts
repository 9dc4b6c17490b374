// Storage keys as v1 lays them out, and which of them a miner may write.
//   activations/{uid}/{layer}/{direction}/{uuid}.bin (+ .json metadata)
//   weights/{hotkey}/{num_sections}/{epoch}/{uuid}.bin
//   optimizer_state/{hotkey}/{num_sections}/{epoch}/{uuid}.bin
//   metadata/{weights|optimizer_state}/{hotkey}/{num_sections}/{epoch}/{uuid}.json

import {MAX_KEY_BYTES} from '../orchestrator/schemas.js';
import {HttpError} from './core.js';

const SEG = '[A-Za-z0-9_.-]+';

/** Null when `key` is a key this miner may upload, else the reason it may not. */
export function uploadRefusal(key: string, hotkey: string, layer: number): string | null {
	if (key.includes('..') || key.startsWith('/')) return 'path not allowed';
	const parts = key.split('/');
	if (parts[0] === 'activations') {
		if (!new RegExp(`^activations/${SEG}/\\d+/(forward|backward|initial)/${SEG}\\.(bin|json)$`).test(key)) return 'bad activation path';
		if (Number(parts[2]) !== layer) return `activation path is not for this miner's layer ${layer}`;
		return null;
	}
	const mine = (prefix: string, ext: string) => new RegExp(`^${prefix}/${hotkey}/\\d+/\\d+/${SEG}\\.${ext}$`).test(key);
	if (mine('weights', 'bin') || mine('optimizer_state', 'bin') || mine('metadata/weights', 'json') || mine('metadata/optimizer_state', 'json')) return null;
	return 'path not allowed for this hotkey';
}

/** The sample uid, layer and direction an activation key names (activations/{uid}/{layer}/{direction}/...). */
export function activationKeyParts(key: string): {uid: string; layer: number; direction: string} {
	const [, uid = '', layer = '', direction = ''] = key.split('/');
	return {uid, layer: Number(layer), direction};
}

/** num_sections as written in a weights/optimizer_state/metadata key (the third segment from the end). */
export function sectionsInPath(key: string): number {
	const parts = key.split('/');
	return Number(parts[parts.length - 3]);
}

/**
 * Accepts a bare key or a URL on the store ({endpoint}/{bucket}/{key}?query) and returns the key;
 * a malformed URL or escape, control characters or a key over S3's 1,024 bytes is a 400.
 */
export function toKey(pathOrUrl: string, bucket: string): string {
	let key = pathOrUrl.replace(/^\/+/, '');
	if (/^https?:\/\//.test(pathOrUrl)) {
		try {
			key = decodeURIComponent(new URL(pathOrUrl).pathname).replace(/^\/+/, '');
		} catch {
			throw new HttpError(400, 'bad path: not a valid URL');
		}
		if (key.startsWith(`${bucket}/`)) key = key.slice(bucket.length + 1);
	}
	if (key === '' || /[\u0000-\u001f\u007f]/.test(key)) throw new HttpError(400, 'bad path: empty or with control characters');
	if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new HttpError(400, `bad path: key over ${MAX_KEY_BYTES} bytes`);
	return key;
}
