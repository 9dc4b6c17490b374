// Small text formatters shared by the dashboard and the headless printer (pure, no colour).
import type {MinerState, UploadItem} from '../../miner/types.js';

export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const clock = (ms: number) => isoSeconds(ms).slice(11); // "22:00:01Z"

export function bytes(n: number): string {
	if (!Number.isFinite(n) || n < 0) return '-';
	if (n < 1024) return `${n} B`;
	const units = ['KB', 'MB', 'GB', 'TB'];
	let v = n / 1024;
	let i = 0;
	while (v >= 1024 && i < units.length - 1) {
		v /= 1024;
		i++;
	}
	return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function age(ms: number): string {
	const s = Math.max(0, Math.floor(ms / 1000));
	if (s < 60) return `${s}s`;
	const m = Math.floor(s / 60);
	if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
	const h = Math.floor(m / 60);
	if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
	return `${Math.floor(h / 24)}d`;
}

// Keeps both ends of long ids (hotkeys, object keys): the tail is what tells them apart.
export function middle(text: string, width: number): string {
	if (width <= 0) return '';
	if (text.length <= width) return text;
	if (width <= 3) return text.slice(0, width);
	const tail = Math.floor((width - 1) / 2);
	return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`;
}

export const shortHotkey = (hotkey: string | null) => (hotkey ? middle(hotkey, 13) : '-');

export function num(v: number | null | undefined, digits = 4): string {
	if (v === null || v === undefined || !Number.isFinite(v)) return '-';
	if (v !== 0 && Math.abs(v) < 10 ** -digits) return v.toExponential(1);
	return v.toFixed(digits);
}

export function compact(v: number | null | undefined): string {
	if (v === null || v === undefined || !Number.isFinite(v)) return '-';
	const a = Math.abs(v);
	if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
	if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
	if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
	return a >= 100 ? v.toFixed(0) : v.toFixed(1);
}

export const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];

// Batches toward the next merge: backward passes since the last one over BATCHES_BEFORE_MERGING,
// never past it: backwards that arrive after the count is full wait for the merge like the rest.
export function mergeProgress(state: MinerState): {done: number; total: number | null; pending: boolean} {
	const total = state.settings?.batchesBeforeMerging ?? null;
	const done = total === null ? state.backwardsSinceMerge : Math.min(state.backwardsSinceMerge, total);
	return {done, total, pending: total !== null && state.backwardsSinceMerge >= total};
}

const phaseWait: Record<string, string> = {
	weights_uploading: 'uploading weights for the merge',
	miners_merging_partitions: 'merging partitions with the layer',
};

/** "7/10 backward passes before merge", or past the count what the miner waits for. */
export function mergeProgressText(state: MinerState): string {
	const {done, total, pending} = mergeProgress(state);
	if (!pending) return `${done}/${total ?? '?'} backward passes before merge`;
	const waiting = (state.phase && phaseWait[state.phase]) ?? state.waitingFor ?? 'waiting for the orchestrator';
	return `${done}/${total}, merge pending: ${waiting}`;
}

export function layerText(state: MinerState): string {
	if (state.layer === null) return 'layer -';
	return state.layers === null ? `layer ${state.layer}` : `layer ${state.layer} of ${state.layers}`;
}

// Queue rows worth a glance first: in flight, failed, waiting, then the most recent finished ones.
const rank: Record<UploadItem['state'], number> = {uploading: 0, failed: 1, queued: 2, done: 3};
export function queueRows(items: UploadItem[], max: number): {rows: UploadItem[]; hidden: number} {
	const sorted = items
		.map((item, i) => ({item, i}))
		.sort((a, b) => rank[a.item.state] - rank[b.item.state] || (a.item.state === 'done' ? b.i - a.i : a.i - b.i))
		.map(x => x.item);
	const rows = sorted.slice(0, Math.max(0, max));
	return {rows, hidden: sorted.length - rows.length};
}

export function queueSummary(q: MinerState['queue']): string {
	return `${q.pending} pending · ${q.uploading} uploading · ${q.failed} failed · ${q.done} done · ${bytes(q.bytesPending)} waiting`;
}

/** "current · run 7", "v1", or null before the miner says which protocol it speaks. */
export function protocolText(state: Pick<MinerState, 'protocol' | 'runId'>): string | null {
	if (state.protocol === null) return null;
	return state.runId ? `${state.protocol} · run ${middle(state.runId, 16)}` : state.protocol;
}

/** The P2P line shows only for the current protocol (v1 moves activations through the store). */
export const showsP2P = (state: Pick<MinerState, 'protocol'>) => state.protocol === 'current';

/** "P2P in 12 (48.0 MB) · out 10 (40.0 MB) · hash failures 0 · last 850 ms". */
export function p2pSummary(p: MinerState['p2p']): string {
	const lastMs = p.lastMs === null ? '-' : `${Math.round(p.lastMs)} ms`;
	return `P2P in ${p.in} (${bytes(p.bytesIn)}) · out ${p.out} (${bytes(p.bytesOut)}) · hash failures ${p.hashFailures} · last ${lastMs}`;
}
