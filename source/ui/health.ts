// Machine-readable views of a running miner: the /health endpoint (same body as IOTA's miner,
// {status, hotkey, layer, uid, registered, timestamp}) and a JSON snapshot file that
// `iota-tui status --json` reads to answer from a running miner without touching the chain.
import {createServer} from 'node:http';
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import type {LoopDelay, LoopDelayStats} from '../loop-delay.js';
import type {MinerState, MinerStore} from '../miner/types.js';

export type Health = {status: 'healthy' | 'unhealthy' | 'stopping' | 'stopped'; hotkey: string | null; layer: number | null; uid: number | null; registered: boolean; timestamp: string};

export function healthOf(state: MinerState, now = Date.now()): Health {
	// A deregistered miner earns nothing until it has a uid again: monitors should page someone.
	const status = state.status === 'error' || state.status === 'deregistered' ? 'unhealthy' : state.status === 'stopping' ? 'stopping' : state.status === 'stopped' ? 'stopped' : 'healthy';
	// Registered: on chain (a uid) and with the orchestrator (a layer).
	return {status, hotkey: state.hotkey, layer: state.layer, uid: state.uid, registered: state.uid !== null && state.layer !== null, timestamp: new Date(now).toISOString()};
}

export type HealthServer = {url: string; close(): Promise<void>};

// url is the /health address. Answers 200 when healthy, 503 otherwise (what container probes read).
export async function startHealthServer(store: MinerStore, opts: {port: number; host?: string}): Promise<HealthServer> {
	const host = opts.host ?? '127.0.0.1';
	const server = createServer((req, res) => {
		const path = (req.url ?? '/').split('?')[0];
		const send = (code: number, body: unknown) => {
			res.writeHead(code, {'content-type': 'application/json', 'cache-control': 'no-store'});
			res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
		};
		if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, {error: 'method not allowed'});
		if (path !== '/health') return send(404, {error: 'not found', try: '/health'});
		const health = healthOf(store.getState());
		send(health.status === 'healthy' ? 200 : 503, health);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : opts.port;
	const shown = host.includes(':') ? `[${host}]` : host;
	return {
		url: `http://${shown}:${port}/health`,
		close: () =>
			new Promise<void>(resolve => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

/** The event_loop_* fields are there only when the miner runs with IOTA_TUI_LOOP_DELAY=1. */
export type StatusSnapshot = {version: 1; pid: number; writtenAt: number; health: Health; state: MinerState} & Partial<LoopDelayStats>;

export const STALE_MS = 30_000;

export type StatusFileOptions = {minIntervalMs?: number; refreshMs?: number; now?: () => number; loopDelay?: LoopDelay};

// Keeps `path` holding the latest snapshot: written atomically (temp file + rename), at most once
// per minIntervalMs on changes, and every refreshMs regardless, so a live miner's file never looks
// stale. close() writes the final state (e.g. "stopped") and stops.
export function writeStatusFile(store: MinerStore, path: string, opts: StatusFileOptions = {}): {close(): void} {
	const minInterval = opts.minIntervalMs ?? 1000;
	const now = opts.now ?? Date.now;
	const tmp = `${path}.${process.pid}.tmp`;
	mkdirSync(dirname(path), {recursive: true});
	let lastWrite = 0;
	let pending: NodeJS.Timeout | null = null;
	const write = () => {
		pending = null;
		const t = now();
		lastWrite = t;
		const state = store.getState();
		const snapshot: StatusSnapshot = {version: 1, pid: process.pid, writtenAt: t, health: healthOf(state, t), state, ...opts.loopDelay?.stats()};
		try {
			writeFileSync(tmp, JSON.stringify(snapshot));
			renameSync(tmp, path);
		} catch {
			// a full or read-only disk must not stop the miner; readers see the file go stale
		}
	};
	const schedule = () => {
		if (pending) return;
		pending = setTimeout(write, Math.max(0, lastWrite + minInterval - now()));
		pending.unref();
	};
	write();
	const unsubscribe = store.subscribe(schedule);
	const refresh = setInterval(write, opts.refreshMs ?? 5000);
	refresh.unref();
	return {
		close() {
			unsubscribe();
			clearInterval(refresh);
			if (pending) clearTimeout(pending);
			write();
		},
	};
}

const alive = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
	}
};

// The snapshot of a running miner, or null when there is none: no file, unreadable, written more
// than maxAgeMs ago, or its process is gone.
export function readStatusFile(path: string, opts: {maxAgeMs?: number; now?: number} = {}): StatusSnapshot | null {
	let snapshot: StatusSnapshot;
	try {
		snapshot = JSON.parse(readFileSync(path, 'utf8')) as StatusSnapshot;
	} catch {
		return null;
	}
	if (snapshot?.version !== 1 || typeof snapshot.writtenAt !== 'number') return null;
	if ((opts.now ?? Date.now()) - snapshot.writtenAt > (opts.maxAgeMs ?? STALE_MS)) return null;
	if (typeof snapshot.pid === 'number' && !alive(snapshot.pid)) return null;
	return snapshot;
}
