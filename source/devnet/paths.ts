// Storage keys as v1 lays them out, and which of them a miner may write.
//   activations/{uid}/{layer}/{direction}/{uuid}.bin (+ .json metadata)
//   weights/{hotkey}/{num_sections}/{epoch}/{uuid}.bin
//   optimizer_state/{hotkey}/{num_sections}/{epoch}/{uuid}.bin
//   metadata/{weights|optimizer_state}/{hotkey}/{num_sections}/{epoch}/{uuid}.json

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

/** num_sections as written in a weights/optimizer_state/metadata key (the third segment from the end). */
export function sectionsInPath(key: string): number {
	const parts = key.split('/');
	return Number(parts[parts.length - 3]);
}

/** Accepts a bare key or a URL on the store ({endpoint}/{bucket}/{key}?query) and returns the key. */
export function toKey(pathOrUrl: string, bucket: string): string {
	if (!/^https?:\/\//.test(pathOrUrl)) return pathOrUrl.replace(/^\/+/, '');
	const u = new URL(pathOrUrl);
	const p = decodeURIComponent(u.pathname).replace(/^\/+/, '');
	return p.startsWith(`${bucket}/`) ? p.slice(bucket.length + 1) : p;
}
