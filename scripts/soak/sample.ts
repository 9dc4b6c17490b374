// One soak sample: RSS and open file descriptors of the devnet and every process under it (found by parent
// pid), the miners' upload queue files, the size of the captured log, store and database, batches and merges.
import {readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {cmdlineOf, descendants, fdCount, statusMb} from '../bench-devnet/proc.js';

export type Proc = {pid: number; role: string; rss_mb: number | null; fds: number | null};
export type Sample = {t_min: number; at: string; procs: Proc[]; queue_jobs: number; queue_files: number; log_bytes: number; store_bytes: number; db_bytes: number; batches: number; merges: number; errors: number};

/** Bytes and files under a folder (0 when it is missing or vanishes while walked). */
function walk(dir: string): {bytes: number; files: number} {
	let bytes = 0, files = 0;
	let names: string[];
	try {
		names = readdirSync(dir);
	} catch {
		return {bytes, files};
	}
	for (const name of names) {
		const path = join(dir, name);
		try {
			const st = statSync(path);
			if (st.isDirectory()) {
				const sub = walk(path);
				bytes += sub.bytes;
				files += sub.files;
			} else {
				bytes += st.size;
				files += 1;
			}
		} catch {
			// removed between readdir and stat
		}
	}
	return {bytes, files};
}

const sizeOf = (path: string) => {
	try {
		return statSync(path).size;
	} catch {
		return 0;
	}
};

/** Upload queues (uploads/<hotkey>/): jobs waiting or in flight (jobs/<id>/), and their files plus enqueues in progress (tmp/); the lock is not counted. */
function queueOf(uploads: string): {queue_jobs: number; queue_files: number} {
	let jobs = 0, files = 0;
	let hotkeys: string[] = [];
	try {
		hotkeys = readdirSync(uploads);
	} catch {
		// no miner has opened its queue yet
	}
	for (const hk of hotkeys) {
		try {
			jobs += readdirSync(join(uploads, hk, 'jobs')).length;
		} catch {
			// not created yet
		}
		files += walk(join(uploads, hk, 'jobs')).files + walk(join(uploads, hk, 'tmp')).files;
	}
	return {queue_jobs: jobs, queue_files: files};
}

/** The role names a row; the process itself was chosen by the tree walk, not by its command line. */
function roleOf(pid: number, root: number): string {
	if (pid === root) return 'devnet';
	const cmd = cmdlineOf(pid);
	if (/\bmine\b/.test(cmd)) return 'miner';
	if (/endpoint-process/.test(cmd)) return 'p2p-endpoint';
	return 'child';
}

export type Counters = {batches: number; merges: Set<string>; errors: number};

export function takeSample(o: {root: number; dataDir: string; logPath: string; startedAt: number; counters: Counters}): Sample {
	const procs = [o.root, ...descendants(o.root)].map(pid => ({pid, role: roleOf(pid, o.root), rss_mb: statusMb(pid, 'VmRSS'), fds: fdCount(pid)}));
	return {
		t_min: Math.round(((Date.now() - o.startedAt) / 60_000) * 100) / 100,
		at: new Date().toISOString(),
		procs,
		...queueOf(join(o.dataDir, 'miners', 'uploads')),
		log_bytes: sizeOf(o.logPath),
		store_bytes: walk(join(o.dataDir, 'store')).bytes,
		db_bytes: sizeOf(join(o.dataDir, 'current.sqlite')) + sizeOf(join(o.dataDir, 'current.sqlite-wal')),
		batches: o.counters.batches,
		merges: o.counters.merges.size,
		errors: o.counters.errors,
	};
}
