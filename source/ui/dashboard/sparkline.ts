// Unicode block sparklines and progress bars: pure string functions, no colour.
const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

// The last `width` values scaled between their own min and max; gaps (NaN, ±Infinity) show as spaces.
export function sparkline(values: number[], width: number): string {
	if (width <= 0) return '';
	const shown = values.slice(-width);
	const finite = shown.filter(Number.isFinite);
	if (finite.length === 0) return ' '.repeat(shown.length);
	const min = Math.min(...finite);
	const max = Math.max(...finite);
	return shown
		.map(v => {
			if (!Number.isFinite(v)) return ' ';
			if (max === min) return BLOCKS[3]; // a flat series sits mid-height, not on the floor
			return BLOCKS[Math.round(((v - min) / (max - min)) * (BLOCKS.length - 1))];
		})
		.join('');
}

export function progressBar(done: number, total: number | null, width: number): string {
	if (width <= 0) return '';
	const ratio = total && total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
	const filled = Math.round(ratio * width);
	return '█'.repeat(filled) + '░'.repeat(width - filled);
}
