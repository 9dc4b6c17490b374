// The convergence plot as a plain SVG string: both training-loss curves (moving averages over raw points) against
// tokens seen, the swarm's merge points as dashed lines, and both final held-out losses as marked points.
export type Curve = {name: string; color: string; losses: number[]};
export type PlotInput = {
	title: string;
	tokensPerBatch: number;
	window: number;
	curves: Curve[];
	/** Batches trained when each merge began. */
	merges: number[];
	/** Final held-out losses, drawn at the batch count they were evaluated after. */
	finals: Array<{name: string; color: string; batches: number; loss: number}>;
};

const W = 820;
const H = 480;
const PAD = {left: 64, right: 190, top: 40, bottom: 52};

/** Trailing moving average (shorter at the start). */
export function movingAverage(xs: number[], window: number): number[] {
	let sum = 0;
	return xs.map((x, i) => {
		sum += x;
		if (i >= window) sum -= xs[i - window]!;
		return sum / Math.min(i + 1, window);
	});
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => n.toFixed(1);

export function renderPlot(p: PlotInput): string {
	const all = [...p.curves.flatMap(c => c.losses), ...p.finals.map(f => f.loss)];
	const maxBatches = Math.max(1, ...p.curves.map(c => c.losses.length), ...p.finals.map(f => f.batches));
	const yMin = Math.floor(Math.min(...all) * 2) / 2;
	const yMax = Math.ceil(Math.max(...all) * 2) / 2;
	const x = (batches: number) => PAD.left + (batches / maxBatches) * (W - PAD.left - PAD.right);
	const y = (loss: number) => PAD.top + ((yMax - loss) / (yMax - yMin || 1)) * (H - PAD.top - PAD.bottom);
	const parts: string[] = [];
	parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
	parts.push(`<text x="${W / 2 - PAD.right / 2}" y="22" text-anchor="middle" font-size="15">${esc(p.title)}</text>`);
	parts.push(axes(p, maxBatches, yMin, yMax, x, y));
	for (const [i, m] of p.merges.entries()) {
		parts.push(`<line x1="${fmt(x(m))}" y1="${PAD.top}" x2="${fmt(x(m))}" y2="${H - PAD.bottom}" stroke="#999" stroke-dasharray="4 4"/>`);
		parts.push(`<text x="${fmt(x(m) + 3)}" y="${PAD.top + 12}" font-size="10" fill="#666">merge ${i + 1}</text>`);
	}
	for (const c of p.curves) {
		parts.push(...c.losses.map((l, i) => `<circle cx="${fmt(x(i + 1))}" cy="${fmt(y(l))}" r="1.2" fill="${c.color}" opacity="0.25"/>`));
		const avg = movingAverage(c.losses, p.window);
		parts.push(`<polyline fill="none" stroke="${c.color}" stroke-width="2" points="${avg.map((l, i) => `${fmt(x(i + 1))},${fmt(y(l))}`).join(' ')}"/>`);
	}
	for (const f of p.finals) parts.push(`<rect x="${fmt(x(f.batches) - 5)}" y="${fmt(y(f.loss) - 5)}" width="10" height="10" fill="none" stroke="${f.color}" stroke-width="2"/>`);
	parts.push(legend(p));
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}

function axes(p: PlotInput, maxBatches: number, yMin: number, yMax: number, x: (b: number) => number, y: (l: number) => number): string {
	const out: string[] = [];
	const bottom = H - PAD.bottom;
	out.push(`<line x1="${PAD.left}" y1="${bottom}" x2="${W - PAD.right}" y2="${bottom}" stroke="black"/>`);
	out.push(`<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}" stroke="black"/>`);
	for (let i = 0; i <= 5; i++) {
		const b = (maxBatches * i) / 5;
		out.push(`<text x="${fmt(x(b))}" y="${bottom + 16}" text-anchor="middle" font-size="11">${Math.round((b * p.tokensPerBatch) / 1000)}k</text>`);
	}
	for (let l = yMin; l <= yMax + 1e-9; l += 0.5) {
		out.push(`<line x1="${PAD.left - 4}" y1="${fmt(y(l))}" x2="${W - PAD.right}" y2="${fmt(y(l))}" stroke="#eee"/>`);
		out.push(`<text x="${PAD.left - 8}" y="${fmt(y(l) + 4)}" text-anchor="end" font-size="11">${l.toFixed(1)}</text>`);
	}
	out.push(`<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 14}" text-anchor="middle" font-size="12">tokens seen (whole swarm / single process)</text>`);
	out.push(`<text x="16" y="${(PAD.top + bottom) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${(PAD.top + bottom) / 2})">loss (nats)</text>`);
	return out.join('\n');
}

function legend(p: PlotInput): string {
	const left = W - PAD.right + 14;
	const rows = [
		...p.curves.map(c => ({color: c.color, text: `${c.name} (train, avg ${p.window})`, box: false})),
		...p.finals.map(f => ({color: f.color, text: `${f.name} held-out ${f.loss.toFixed(3)}`, box: true})),
	];
	return rows
		.map((r, i) => {
			const yy = PAD.top + 36 + i * 20; // below the merge labels
			const mark = r.box
				? `<rect x="${left + 5}" y="${yy - 9}" width="10" height="10" fill="none" stroke="${r.color}" stroke-width="2"/>`
				: `<line x1="${left}" y1="${yy - 4}" x2="${left + 20}" y2="${yy - 4}" stroke="${r.color}" stroke-width="2"/>`;
			return `${mark}<text x="${left + 26}" y="${yy}" font-size="11">${esc(r.text)}</text>`;
		})
		.join('\n');
}
