// On-disk layout of the upload queue. One folder per job, made whole in tmp/ and renamed into
// jobs/ so a crash never leaves half a job behind:
//   dir/jobs/<id>/{job.json,body.bin}   unfinished jobs (queued, uploading, failed)
//   dir/tmp/                            enqueues and removals in progress (emptied at open)
//   dir/corrupt/                        job folders that could not be read, kept for a human
//   dir/lock                            pid of the process that owns the queue
import {mkdir, open, readFile, readdir, rename, rm, stat, writeFile} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import {UserError} from '../errors.js';
import type {UploadKind, UploadState} from './upload-types.js';

export type JobRecord = {
	version: 1;
	id: string;
	seq: number; // enqueue order, also the id prefix
	key: string;
	kind: UploadKind;
	meta: Record<string, unknown>;
	after?: string; // id of a job that must finish (or fail) before this one starts
	bytes: number;
	attempts: number;
	state: UploadState;
	error: string | null;
	queuedAt: number;
};

const KINDS: readonly string[] = ['activation', 'weights', 'optimizer_state', 'metadata', 'partition'];
const STATES: readonly string[] = ['queued', 'uploading', 'done', 'failed'];

export const jobsDir = (dir: string) => join(dir, 'jobs');
export const jobDir = (dir: string, id: string) => join(dir, 'jobs', id);
export const bodyFile = (dir: string, id: string) => join(dir, 'jobs', id, 'body.bin');

async function fsyncPath(path: string): Promise<void> {
	const handle = await open(path, 'r');
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}

async function writeDurable(path: string, data: Uint8Array | string): Promise<void> {
	const handle = await open(path, 'w', 0o600);
	try {
		await handle.writeFile(data);
		await handle.sync();
	} finally {
		await handle.close();
	}
}

/** Turns a write failure into one line that says what to do. */
export function diskError(error: unknown, path: string): UserError {
	const code = (error as NodeJS.ErrnoException)?.code ?? 'EIO';
	const where = `upload queue: cannot write ${path} (${code})`;
	if (code === 'ENOSPC' || code === 'EDQUOT')
		return new UserError(`upload queue: disk full writing ${path} (${code}); free space on that disk or start the miner with --data-dir on another disk`);
	if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
		return new UserError(`${where}; make it writable by this user or start the miner with --data-dir pointing at a writable folder`);
	if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR')
		return new UserError(`${where}: a file stands where a folder should be; move it away or start the miner with another --data-dir`);
	return new UserError(`${where}; check the disk or start the miner with another --data-dir`);
}

/** Creates the folders; throws a UserError when the dir cannot be used. */
export async function prepareDir(dir: string): Promise<void> {
	for (const sub of ['jobs', 'tmp', 'corrupt']) {
		const path = join(dir, sub);
		try {
			await mkdir(path, {recursive: true, mode: 0o700});
		} catch (error) {
			throw diskError(error, path);
		}
	}
}

/** Called once the lock is held, so no live enqueue of another process is in tmp/. */
export async function cleanTmp(dir: string): Promise<void> {
	// Leftovers of enqueues that never resolved and removals that were cut short.
	for (const name of await readdir(join(dir, 'tmp'))) await rm(join(dir, 'tmp', name), {recursive: true, force: true});
}

/** Writes body + record in tmp/, fsyncs, then renames the folder into jobs/ in one step. */
export async function writeJob(dir: string, record: JobRecord, body: Uint8Array): Promise<void> {
	const staging = join(dir, 'tmp', record.id);
	try {
		await mkdir(staging, {mode: 0o700});
		await writeDurable(join(staging, 'body.bin'), body);
		await writeDurable(join(staging, 'job.json'), JSON.stringify(record));
		await fsyncPath(staging);
		await rename(staging, jobDir(dir, record.id));
		await fsyncPath(jobsDir(dir));
	} catch (error) {
		await rm(staging, {recursive: true, force: true}).catch(() => {});
		throw diskError(error, staging);
	}
}

/** Replaces job.json atomically (state, attempts, error). */
export async function updateJob(dir: string, record: JobRecord): Promise<void> {
	const path = join(jobDir(dir, record.id), 'job.json');
	await writeDurable(`${path}.tmp`, JSON.stringify(record));
	await rename(`${path}.tmp`, path);
}

/** Renames out of jobs/ first so a crash mid-delete cannot leave a job without its body. */
export async function removeJob(dir: string, id: string): Promise<void> {
	const gone = join(dir, 'tmp', `done-${id}`);
	await rename(jobDir(dir, id), gone);
	await rm(gone, {recursive: true, force: true});
}

function parseRecord(text: string, name: string): JobRecord {
	const r = JSON.parse(text) as Partial<JobRecord>;
	const ok =
		r?.version === 1 &&
		r.id === name &&
		Number.isSafeInteger(r.seq) &&
		typeof r.key === 'string' &&
		r.key.length > 0 &&
		KINDS.includes(r.kind as string) &&
		typeof r.meta === 'object' &&
		r.meta !== null &&
		Number.isSafeInteger(r.bytes) &&
		Number.isSafeInteger(r.attempts) &&
		STATES.includes(r.state as string) &&
		(r.error === null || typeof r.error === 'string') &&
		typeof r.queuedAt === 'number' &&
		(r.after === undefined || typeof r.after === 'string');
	if (!ok) throw new Error('job.json has missing or wrong fields');
	return r as JobRecord;
}

/** Reads every job folder; unreadable ones are moved to corrupt/ and reported. */
export async function loadJobs(dir: string, warn: (text: string) => void): Promise<JobRecord[]> {
	const records: JobRecord[] = [];
	for (const name of await readdir(jobsDir(dir))) {
		const path = join(jobsDir(dir), name);
		try {
			const record = parseRecord(await readFile(join(path, 'job.json'), 'utf8'), name);
			const size = (await stat(join(path, 'body.bin'))).size;
			if (size !== record.bytes) throw new Error(`body.bin has ${size} bytes, job.json says ${record.bytes}`);
			records.push(record);
		} catch (error) {
			const aside = join(dir, 'corrupt', `${name}-${Date.now()}`);
			const why = (error as Error).message;
			try {
				await rename(path, aside);
				warn(`upload queue: moved unreadable job ${name} to ${aside} (${why})`);
			} catch {
				warn(`upload queue: skipped unreadable job ${path} (${why}); could not move it aside`);
			}
		}
	}
	await pruneCorrupt(dir);
	return records.sort((a, b) => a.seq - b.seq);
}

export const CORRUPT_KEEP = 20;

/** corrupt/ is for a human to look at, not an archive: only the newest CORRUPT_KEEP folders stay. */
async function pruneCorrupt(dir: string): Promise<void> {
	const names = await readdir(join(dir, 'corrupt')).catch(() => [] as string[]);
	const stamped = names.map(name => ({name, at: Number(/-(\d+)$/.exec(name)?.[1] ?? 0)})).sort((a, b) => b.at - a.at);
	for (const {name} of stamped.slice(CORRUPT_KEEP)) await rm(join(dir, 'corrupt', name), {recursive: true, force: true});
}

// One owner per dir: two miners draining the same queue would upload everything twice.
const openHere = new Set<string>();

const alive = (pid: number): boolean => {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
};

export async function lockDir(dir: string): Promise<() => Promise<void>> {
	const path = resolve(dir, 'lock');
	if (openHere.has(path)) throw new UserError(`upload queue: ${dir} is already open in this process; close it first`);
	const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
	// A lock with our own pid is stale too: left by an earlier process that got the same pid.
	if (Number.isSafeInteger(owner) && owner !== process.pid && alive(owner))
		throw new UserError(`upload queue: ${dir} is in use by process ${owner}; stop that miner first (or delete ${path} if none runs)`);
	try {
		await writeFile(path, String(process.pid), {mode: 0o600});
	} catch (error) {
		throw diskError(error, path);
	}
	openHere.add(path);
	return async () => {
		openHere.delete(path);
		await rm(path, {force: true}).catch(() => {});
	};
}
