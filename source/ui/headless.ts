// Headless output for no TTY, --headless and --json: plain timestamped lines (never an escape
// code) or NDJSON events, from the same store the dashboard reads. Plain mode prints one line per
// meaningful event and a periodic summary (like xmrig's speed line); upload state changes are
// only counted there, since a busy queue would flood the log.
import {stripVTControlCharacters} from 'node:util';
import type {MinerEvent, MinerState, MinerStore} from '../miner/types.js';
import {age, bytes, compact, isoSeconds, last, mergeProgress, num} from './dashboard/format.js';

export type HeadlessOptions = {
	json: boolean;
	out: NodeJS.WritableStream;
	hotkey?: string;
	summaryMs?: number; // periodic summary line; 0 turns it off (default 30 s)
	now?: () => number;
};

// Log text comes from anywhere (errors, worker output): drop escapes and keep it to one line.
export const plainText = (text: string) => stripVTControlCharacters(text).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');

type Json = Record<string, unknown>;

// NDJSON body for one event; null for events not worth a line (heartbeats).
export function jsonEvent(event: MinerEvent, state: MinerState, hotkey: string | null): Json | null {
	switch (event.type) {
		case 'started':
			return {event: 'started', hotkey, network: event.network, chain_url: event.chainUrl, orchestrator_url: event.orchestratorUrl};
		case 'chain_registered':
			return event.again
				? {event: 'chain_registered', hotkey, uid: event.uid, again: true, burn_rao: event.again.burnRao, block: event.again.block}
				: {event: 'chain_registered', hotkey, uid: event.uid};
		case 'deregistered':
			return {event: 'deregistered', hotkey, uid: event.uid, block: event.block, auto: event.auto};
		case 'registration': {
			const i = event.info;
			return {event: 'registration', hotkey, block: i.block, burn_rao: i.burnRao, burn_before_rao: i.burnBeforeRao, open: i.open, why: i.why,
				this_interval: i.thisInterval, target_per_interval: i.targetPerInterval, blocks_until_reset: i.blocksUntilReset,
				subnet_n: i.subnetN, max_uids: i.maxUids, immunity_period: i.immunityPeriod, cap_rao: i.capRao, waiting_for: i.waitingFor};
		}
		case 'registered':
			return {event: 'registered', hotkey, layer: event.layer, version: event.version};
		case 'settings':
			return {event: 'settings', hotkey, layers: event.settings.layers, batches_before_merging: event.settings.batchesBeforeMerging};
		case 'backend':
			return {event: 'backend', hotkey, name: event.name, detail: event.detail};
		case 'phase':
			return {event: 'phase', hotkey, layer: event.layer, phase: event.phase};
		case 'waiting':
			return {event: 'waiting', hotkey, what: event.what, queue_full: state.queue.full};
		case 'batch':
			return {
				event: 'batch',
				hotkey,
				layer: state.layer,
				direction: event.direction,
				backwards_since_merge: state.backwardsSinceMerge,
				batches_before_merging: state.settings?.batchesBeforeMerging ?? null,
				activation_uid: event.activationUid,
				tokens: event.tokens,
				ms: event.ms,
			};
		case 'loss':
			return {event: 'loss', hotkey, layer: state.layer, value: event.value};
		case 'lr':
			return {event: 'lr', hotkey, value: event.value};
		case 'upload': {
			const i = event.item;
			return {event: 'upload', hotkey, key: i.key, bytes: i.bytes, state: i.state, kind: i.kind, attempts: i.attempts, error: i.error};
		}
		case 'published':
			return {event: 'published', hotkey, key: event.key, activation_uid: event.activationUid};
		case 'merge_done':
			return {event: 'merge_done', hotkey, layer: event.layer, epoch: event.epoch};
		case 'run':
			return {event: 'run', hotkey, protocol: event.protocol, run_id: event.runId};
		case 'p2p':
			return {event: 'p2p', hotkey, direction: event.direction, peer: event.peer, bytes: event.bytes, ms: Math.round(event.ms), hash_ok: event.hashOk};
		case 'score':
			return {event: 'score', hotkey, score: event.score, incentive: event.incentive, emission: event.emission, emulated: event.emulated};
		case 'heartbeat':
			return null;
		case 'link':
			return {event: 'link', hotkey, service: event.service, ok: event.ok, detail: event.detail};
		case 'worker_crash':
			return {event: 'worker_crash', hotkey, message: event.message};
		case 'worker_restarted':
			return {event: 'worker_restarted', hotkey};
		case 'error':
			return {event: 'error', hotkey, message: event.message, fatal: event.fatal};
		case 'log':
			return {event: 'log', hotkey, level: event.level, text: event.text};
		case 'stopping':
		case 'stopped':
			return {event: event.type, hotkey};
	}
}

const progress = (s: MinerState) => {
	const {done, total, pending} = mergeProgress(s);
	return pending ? `${done}/${total} (merge pending)` : `${done}/${total ?? '?'}`;
};

// Plain text for one event (after the timestamp); null for events only the summary reports.
export function plainEvent(event: MinerEvent, state: MinerState): string | null {
	switch (event.type) {
		case 'started':
			return `started hotkey ${event.hotkey} network ${event.network} chain ${event.chainUrl} orchestrator ${event.orchestratorUrl}`;
		case 'chain_registered': // a new uid after a deregistration: the reducer's log line says what it cost
			return event.again ? `info ${state.log.at(-1)?.text ?? `registered again uid ${event.uid}`}` : `chain registered uid ${event.uid}`;
		case 'deregistered':
			return `error ${state.log.at(-1)?.text ?? `the hotkey lost uid ${event.uid}`}`;
		case 'registration': // the dashboard's panel; headless logs only the miner's own waits
			return null;
		case 'registered':
			return `orchestrator registered layer ${event.layer} version ${event.version}`;
		case 'settings':
			return `settings layers ${event.settings.layers} batches_before_merging ${event.settings.batchesBeforeMerging}`;
		case 'backend':
			return `backend ${event.name} ${event.detail}`;
		case 'phase':
			return `phase layer ${event.layer} ${event.phase}`;
		case 'batch': {
			const tps = event.ms > 0 ? ` ${compact((event.tokens * 1000) / event.ms)} tok/s` : '';
			return `batch ${event.direction} layer ${state.layer ?? '-'} ${progress(state)} ${event.tokens} tokens ${Math.round(event.ms)} ms${tps}`;
		}
		case 'loss':
			return `loss ${num(event.value)} layer ${state.layer ?? '-'}`;
		case 'lr':
			return `lr ${event.value.toExponential(2)}`;
		case 'upload':
			return event.item.state === 'failed' ? `warn upload failed ${event.item.key} attempt ${event.item.attempts}: ${event.item.error ?? 'unknown error'}` : null;
		case 'merge_done':
			return `merge done layer ${event.layer} epoch ${event.epoch}`;
		case 'run':
			return `protocol ${event.protocol}${event.runId ? ` run ${event.runId}` : ''}`;
		case 'p2p': // counted in the summary; a hash mismatch is worth a line of its own
			return event.hashOk ? null : `warn p2p ${event.direction} ${event.peer.slice(0, 12)}: BLAKE3 hash mismatch (${event.bytes} bytes)`;
		case 'score':
			return `score ${num(event.score)} incentive ${num(event.incentive, 6)} emission ${event.emission ?? '-'}${event.emulated ? ' (devnet-emulated)' : ''}`;
		case 'link': // the reducer's log line says it with the outage's length
			return `${event.ok ? 'info' : 'warn'} ${state.log.at(-1)?.text ?? event.service}`;
		case 'worker_crash':
			return `error training worker crashed: ${event.message}`;
		case 'worker_restarted':
			return 'training worker restarted';
		case 'error':
			return `${event.fatal ? 'error' : 'warn'} ${event.message}`;
		case 'log':
			return `${event.level} ${event.text}`;
		case 'stopping':
		case 'stopped':
			return event.type;
		case 'waiting': // printed on change by the caller
		case 'published':
		case 'heartbeat':
			return null;
	}
}

export function summaryLine(state: MinerState, now: number, uploadsSince: number): string {
	const s = state;
	const beat = s.lastHeartbeat === null ? 'never' : `${age(now - s.lastHeartbeat)} ago`;
	const parts = [
		`summary ${s.status}`,
		`layer ${s.layer ?? '-'}/${s.layers ?? '-'}`,
		`epoch ${s.epoch}`,
		s.phase ?? 'no phase',
		`batches ${progress(s)}`,
		`fwd ${s.forwards} bwd ${s.backwards}`,
		`${compact(last(s.tokensPerSec))} tok/s`,
		`loss ${num(last(s.losses))}`,
		`uploads ${s.queue.pending} queued ${s.queue.uploading} uploading ${s.queue.failed} failed ${s.queue.done} done (+${uploadsSince}) ${bytes(s.queue.bytesPending)} waiting${s.queue.full ? ' BACKPRESSURE' : ''}`,
		`published ${s.published}`,
		`heartbeat ${beat}`,
	];
	if (s.protocol === 'current') parts.splice(-1, 0, `p2p in ${s.p2p.in} out ${s.p2p.out} ${bytes(s.p2p.bytesIn + s.p2p.bytesOut)}${s.p2p.hashFailures ? ` ${s.p2p.hashFailures} hash failures` : ''}`);
	if (s.waitingFor) parts.push(`waiting for ${s.waitingFor}`);
	return parts.join(' · ');
}

const eventTime = (event: MinerEvent, fallback: number) => ('at' in event ? event.at : fallback);

export function startHeadless(store: MinerStore, opts: HeadlessOptions): () => void {
	const now = opts.now ?? Date.now;
	const hotkeyOf = (s: MinerState) => opts.hotkey ?? s.hotkey;
	let closed = false;
	const onError = () => {
		closed = true; // reader went away (EPIPE): stop writing, keep mining
	};
	opts.out.on('error', onError);
	const write = (line: string) => {
		if (closed) return;
		try {
			opts.out.write(`${line}\n`);
		} catch {
			closed = true;
		}
	};
	const plain = (at: number, text: string) => write(`${isoSeconds(at)} ${plainText(text)}`);
	const json = (at: number, body: Json) => write(JSON.stringify({...body, ts: new Date(at).toISOString()}));

	let waiting: string | null = null;
	let full = store.getState().queue.full;
	let uploadsDone = 0;

	const unsubscribe = store.subscribe((state, event) => {
		const at = eventTime(event, now());
		if (opts.json) {
			const body = jsonEvent(event, state, hotkeyOf(state));
			if (body && !(event.type === 'waiting' && event.what === waiting && state.queue.full === full)) json(at, body);
		} else {
			if (event.type === 'upload' && event.item.state === 'done') uploadsDone++;
			if (event.type === 'waiting' && event.what !== waiting) plain(at, event.what ? `waiting for ${event.what}` : 'working');
			if (state.queue.full !== full) {
				const q = state.queue;
				plain(at, q.full ? `warn upload backpressure: compute waits for uploads (${q.pending + q.uploading} pending, ${bytes(q.bytesPending)})` : 'upload backpressure cleared');
			}
			const text = plainEvent(event, state);
			if (text !== null) plain(at, text);
		}
		if (event.type === 'waiting') waiting = event.what;
		full = state.queue.full;
	});

	const every = opts.summaryMs ?? 30_000;
	const timer =
		every > 0
			? setInterval(() => {
					const state = store.getState();
					const t = now();
					if (opts.json) json(t, summaryJson(state, t, hotkeyOf(state)));
					else plain(t, summaryLine(state, t, uploadsDone));
					uploadsDone = 0;
				}, every)
			: null;
	timer?.unref(); // the summary never keeps the process alive

	return () => {
		unsubscribe();
		if (timer) clearInterval(timer);
		opts.out.off('error', onError);
	};
}

export function summaryJson(s: MinerState, now: number, hotkey: string | null): Json {
	return {
		event: 'summary',
		hotkey,
		status: s.status,
		layer: s.layer,
		layers: s.layers,
		epoch: s.epoch,
		phase: s.phase,
		backwards_since_merge: s.backwardsSinceMerge,
		batches_before_merging: s.settings?.batchesBeforeMerging ?? null,
		forwards: s.forwards,
		backwards: s.backwards,
		tokens_per_sec: last(s.tokensPerSec) ?? null,
		loss: last(s.losses) ?? null,
		queue: s.queue,
		published: s.published,
		waiting_for: s.waitingFor,
		heartbeat_age_ms: s.lastHeartbeat === null ? null : now - s.lastHeartbeat,
	};
}
