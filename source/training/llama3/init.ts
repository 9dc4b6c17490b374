// Seeded initial weights: N(0, 0.02) for Linear and Embedding, ones for RMSNorm (IOTA's init_weights), drawn from a
// generator seeded by (seed, parameter name), so a stage gets the same weights alone or inside the whole model.

export type InitSpec = {name: string; shape: number[]; init: 'normal' | 'ones'};

export function initParam(spec: InitSpec, seed: number): Float32Array {
	const n = spec.shape.reduce((a, b) => a * b, 1);
	const out = new Float32Array(n);
	if (spec.init === 'ones') return out.fill(1);
	const rand = mulberry32(fnv1a(`${seed}:${spec.name}`));
	for (let i = 0; i < n; i += 2) {
		const r = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * 0.02;
		const a = 2 * Math.PI * rand();
		out[i] = r * Math.cos(a);
		if (i + 1 < n) out[i + 1] = r * Math.sin(a);
	}
	return out;
}

function fnv1a(s: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
	return h >>> 0;
}

function mulberry32(a: number): () => number {
	return () => {
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
