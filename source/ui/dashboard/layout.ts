// Decides what fits in width x height. Sparklines and the log go first when space runs out;
// the status bar, batch progress and the queue summary always stay.
export type Tier = 'full' | 'compact' | 'minimal';
export type Plan = {tier: Tier; queueRows: number; logLines: number; sparklines: boolean; summaryLines: number};

export const PANEL_ROW = 7; // bordered panel: 2 border lines + title + 4 content lines
const FOOTER = 1;

// `transferLines`: lines the transfers (upload queue) panel shows above its table, such as the
// current protocol's P2P line; they come out of the queue rows, and in the minimal tier they are
// summary lines after the four that always come first.
export function planLayout(width: number, height: number, statusLines: number, queueItems: number, transferLines = 0): Plan {
	const wantRows = Math.max(1, queueItems); // an empty queue still shows one "empty" line
	const extra = Math.max(0, transferLines);
	if (width >= 100 && height >= 30) {
		const rest = height - statusLines - PANEL_ROW - FOOTER;
		let rows = Math.min(wantRows, 8, rest - 4 - extra);
		const middle = Math.max(PANEL_ROW, 4 + extra + rows);
		const left = rest - middle;
		if (left >= 4) return {tier: 'full', queueRows: rows, logLines: left - 3, sparklines: true, summaryLines: 0};
		rows = Math.max(1, Math.min(wantRows, rest - 4 - extra));
		return {tier: 'full', queueRows: rows, logLines: 0, sparklines: rest >= PANEL_ROW, summaryLines: 0};
	}
	if (width >= 72 && height >= 18) {
		const rest = height - statusLines - PANEL_ROW - FOOTER;
		const rows = Math.max(1, Math.min(wantRows, 6, rest - 4 - extra));
		const left = rest - 4 - extra - rows;
		return {tier: 'compact', queueRows: rows, logLines: left >= 4 ? left - 3 : 0, sparklines: false, summaryLines: 0};
	}
	// Minimal: no borders; summary lines (batch, queue, score, layer, then the transfer lines), then
	// queue rows, then log.
	const room = Math.max(0, height - statusLines - FOOTER);
	const summaryLines = Math.min(4 + extra, room);
	let rest = room - summaryLines;
	const rows = rest >= 3 ? Math.min(wantRows, 5, rest - 1) : 0; // header + rows
	rest -= rows > 0 ? rows + 1 : 0;
	return {tier: 'minimal', queueRows: rows, logLines: rest >= 3 ? rest - 1 : 0, sparklines: false, summaryLines};
}

// Greedy packing of status bar pieces into lines no wider than `width` (2 spaces between pieces).
export function packLines<T extends {text: string}>(pieces: T[], width: number): T[][] {
	const lines: T[][] = [];
	let line: T[] = [];
	let used = 0;
	for (const p of pieces) {
		const need = (line.length > 0 ? 2 : 0) + p.text.length;
		if (line.length > 0 && used + need > width) {
			lines.push(line);
			line = [];
			used = 0;
		}
		used += (line.length > 0 ? 2 : 0) + p.text.length;
		line.push(p);
	}
	if (line.length > 0) lines.push(line);
	return lines;
}
