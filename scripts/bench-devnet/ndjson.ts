// A spawned child whose stdout carries NDJSON events: each parsed line keeps its receive time, and
// listeners can wait for the first event that matches.
import type {ChildProcess} from 'node:child_process';
import {createInterface} from 'node:readline';

export type Ev = Record<string, unknown> & {event: string; at: number};

export type EventLog = {events: Ev[]; until(pred: (e: Ev) => boolean, ms: number, what: string): Promise<Ev>; onEvent(f: (e: Ev) => void): void};

/** Miner events carry their own ISO `ts`; devnet ones do not, so those take the time they arrived. */
const timeOf = (e: Record<string, unknown>) => (typeof e.ts === 'string' ? Date.parse(e.ts) : Date.now());

/** keep: which events stay in `events` (default all; a long soak keeps none and counts in onEvent). */
export function readEvents(child: ChildProcess, onLine?: (line: string) => void, keep: (e: Ev) => boolean = () => true): EventLog {
	const events: Ev[] = [];
	const listeners = new Set<(e: Ev) => void>();
	createInterface({input: child.stdout!}).on('line', line => {
		onLine?.(line);
		let e: Ev;
		try {
			const raw = JSON.parse(line) as Record<string, unknown>;
			if (typeof raw.event !== 'string') return;
			e = {...raw, event: raw.event, at: timeOf(raw)};
		} catch {
			return;
		}
		if (keep(e)) events.push(e);
		for (const l of [...listeners]) l(e);
	});
	const until = (pred: (e: Ev) => boolean, ms: number, what: string) =>
		new Promise<Ev>((resolve, reject) => {
			const seen = events.find(pred);
			if (seen) return resolve(seen);
			const timer = setTimeout(() => (listeners.delete(l), reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`))), ms);
			const l = (e: Ev) => {
				if (!pred(e)) return;
				clearTimeout(timer);
				listeners.delete(l);
				resolve(e);
			};
			listeners.add(l);
			child.once('exit', code => (clearTimeout(timer), listeners.delete(l), reject(new Error(`exited (${code}) before ${what}`))));
		});
	return {events, until, onEvent: f => listeners.add(f)};
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the child has exited. */
export function stopChild(child: ChildProcess, graceMs = 30_000, pid = child.pid): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null || !pid) return Promise.resolve();
	return new Promise(resolve => {
		const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
		child.once('exit', () => (clearTimeout(kill), resolve()));
		try {
			process.kill(pid, 'SIGTERM');
		} catch {
			resolve();
		}
	});
}
