// Numbers the devnet bench derives from miners' NDJSON events: transfer overlap (how much slower a batch
// computes while a transfer of the same miner is in flight) and bytes per second through P2P and the store.
import type {Ev} from './ndjson.js';

type Span = {start: number; end: number};
const overlaps = (a: Span, b: Span) => a.start < b.end && b.start < a.end;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => (xs.length ? sum(xs) / xs.length : NaN);

/** Upload spans: an `uploading` event to the next `done`/`failed` of the same miner and kind (the key changes between them). */
export function uploadSpans(events: Ev[]): Map<string, (Span & {bytes: number})[]> {
	const out = new Map<string, (Span & {bytes: number})[]>();
	const open = new Map<string, number>();
	for (const e of events) {
		if (e.event !== 'upload') continue;
		const id = `${String(e.hotkey)}|${String(e.kind)}`;
		if (e.state === 'uploading' && !open.has(id)) open.set(id, e.at);
		if ((e.state === 'done' || e.state === 'failed') && open.has(id)) {
			const list = out.get(String(e.hotkey)) ?? [];
			list.push({start: open.get(id)!, end: e.at, bytes: e.state === 'done' ? Number(e.bytes) : 0});
			out.set(String(e.hotkey), list);
			open.delete(id);
		}
	}
	return out;
}

/** P2P spans of each miner (both directions: its endpoint is busy either way); an event arrives when its transfer ends. */
function p2pSpans(events: Ev[]): Map<string, Span[]> {
	const out = new Map<string, Span[]>();
	for (const e of events) if (e.event === 'p2p') out.set(String(e.hotkey), [...(out.get(String(e.hotkey)) ?? []), {start: e.at - Number(e.ms), end: e.at}]);
	return out;
}

export type Overlap = {ratio: number | null; overlapped: number; clean: number};

/**
 * Slowdown of compute under transfers: each batch's compute span is [end - ms, end]; it "overlaps" when an upload
 * or P2P transfer of the same miner was in flight during it. ratio = total ms of overlapping batches / the ms the
 * same batches take at the clean (no-transfer) mean of their miner and direction. 1.0 = transfers cost compute nothing.
 */
export function transferOverlap(events: Ev[]): Overlap {
	const busy = new Map<string, Span[]>();
	for (const [k, v] of uploadSpans(events)) busy.set(k, [...(busy.get(k) ?? []), ...v]);
	for (const [k, v] of p2pSpans(events)) busy.set(k, [...(busy.get(k) ?? []), ...v]);
	const groups = new Map<string, {hit: number[]; clean: number[]}>();
	for (const e of events) {
		if (e.event !== 'batch') continue;
		const span = {start: e.at - Number(e.ms), end: e.at};
		const g = groups.get(`${String(e.hotkey)}|${String(e.direction)}`) ?? {hit: [], clean: []};
		((busy.get(String(e.hotkey)) ?? []).some(s => overlaps(s, span)) ? g.hit : g.clean).push(Number(e.ms));
		groups.set(`${String(e.hotkey)}|${String(e.direction)}`, g);
	}
	let hitMs = 0, expectedMs = 0, overlapped = 0, clean = 0;
	for (const g of groups.values()) {
		clean += g.clean.length;
		if (!g.hit.length || !g.clean.length) continue; // no baseline for this miner and direction
		overlapped += g.hit.length;
		hitMs += sum(g.hit);
		expectedMs += g.hit.length * mean(g.clean);
	}
	return {ratio: expectedMs > 0 ? Math.round((hitMs / expectedMs) * 1000) / 1000 : null, overlapped, clean};
}

export type Rate = {bytes: number; busyS: number; wallS: number; perBusyS: number | null; perWallS: number | null};
const rate = (bytes: number, busyS: number, wallS: number): Rate => ({bytes, busyS, wallS, perBusyS: busyS > 0 ? bytes / busyS : null, perWallS: wallS > 0 ? bytes / wallS : null});

/** P2P: each transfer counted once, at its sender (`out`), over the senders' transfer time and over the wall-clock span. */
export function p2pRate(events: Ev[], wallS: number): Rate {
	const out = events.filter(e => e.event === 'p2p' && e.direction === 'out');
	return rate(sum(out.map(e => Number(e.bytes))), sum(out.map(e => Number(e.ms))) / 1000, wallS);
}

/** Object store: finished uploads' bytes over their uploading-to-done time and over the wall-clock span. */
export function storeRate(events: Ev[], wallS: number): Rate {
	const spans = [...uploadSpans(events).values()].flat();
	return rate(sum(spans.map(s => s.bytes)), sum(spans.map(s => s.end - s.start)) / 1000, wallS);
}
