// Persistent upload queue: every body is on disk before enqueue resolves, so compute can move on
// and nothing is lost to a restart or crash. Uploads run with bounded concurrency and retry with
// exponential backoff; a job leaves the disk only after run() succeeded.
import {randomBytes} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {UserError, errorMessage} from '../errors.js';
import type {UploadItem, UploadKind} from './upload-types.js';
import {bodyFile, cleanTmp, loadJobs, lockDir, prepareDir, removeJob, updateJob, writeJob, type JobRecord} from './upload-queue-disk.js';

export type QueuedJob = {
	id: string;
	key: string;
	kind: UploadKind;
	meta: Record<string, unknown>;
	attempts: number; // including this one
	body(): Promise<Uint8Array<ArrayBuffer>>; // ArrayBuffer-backed, so fetch() takes it as a body
	bodyPath: string; // for ranged reads (multipart) without loading the whole body
	signal: AbortSignal; // aborted by close({abort: true})
};

export type UploadQueueOptions = {
	dir: string;
	concurrency?: number;
	maxPending?: number;
	maxAttempts?: number;
	backoffMs?: number;
	maxBackoffMs?: number;
	run: (job: QueuedJob) => Promise<void>;
	onChange?: (item: UploadItem) => void;
	onWarning?: (text: string) => void;
	now?: () => number;
};

type Waiter = {resolve: () => void; reject: (error: Error) => void};
type Job = JobRecord & {cooling: boolean; disk: Promise<void>; waiters: Waiter[]};

const DONE_MEMORY = 10_000; // ids whenDone can still answer after the job left the disk

export class UploadQueue {
	private readonly jobs = new Map<string, Job>();
	private readonly doneIds = new Set<string>();
	private readonly slotWaiters: Waiter[] = [];
	private readonly timers = new Set<NodeJS.Timeout>();
	private readonly writes = new Set<Promise<void>>(); // enqueues being written, awaited by close()
	private readonly abort = new AbortController();
	private pending = 0; // queued + uploading + slots reserved by enqueues being written
	private running = 0;
	private nextSeq: number;
	private closed = false;
	private idle: (() => void) | null = null;

	private constructor(
		private readonly opts: Required<Omit<UploadQueueOptions, 'onChange' | 'onWarning'>> & Pick<UploadQueueOptions, 'onChange' | 'onWarning'>,
		records: JobRecord[],
		private readonly unlock: () => Promise<void>,
	) {
		this.nextSeq = records.reduce((max, r) => Math.max(max, r.seq), 0) + 1;
		for (const record of records) {
			// 'uploading' on disk means the previous process died mid-upload: try again.
			const state = record.state === 'failed' ? 'failed' : 'queued';
			const job: Job = {...record, state, cooling: false, disk: Promise.resolve(), waiters: []};
			this.jobs.set(job.id, job);
			if (state === 'queued') this.pending++;
		}
	}

	static async open(options: UploadQueueOptions): Promise<UploadQueue> {
		const opts = {
			...options,
			concurrency: options.concurrency ?? 2,
			maxPending: options.maxPending ?? 32,
			maxAttempts: options.maxAttempts ?? 5,
			backoffMs: options.backoffMs ?? 500,
			maxBackoffMs: options.maxBackoffMs ?? 30_000,
			now: options.now ?? Date.now,
		};
		if (!(opts.concurrency >= 1 && opts.maxPending >= 1 && opts.maxAttempts >= 1)) throw new Error('upload queue: concurrency, maxPending and maxAttempts must be at least 1');
		const warn = (text: string) => opts.onWarning?.(text);
		await prepareDir(opts.dir);
		const unlock = await lockDir(opts.dir);
		try {
			await cleanTmp(opts.dir);
			const queue = new UploadQueue(opts, await loadJobs(opts.dir, warn), unlock);
			for (const job of queue.jobs.values()) queue.emit(job);
			queue.pump();
			return queue;
		} catch (error) {
			await unlock();
			throw error;
		}
	}

	get full(): boolean {
		return this.pending >= this.opts.maxPending;
	}

	/** Jobs not finished yet: queued, uploading, or still being written by enqueue(). */
	get unfinished(): number {
		return this.pending;
	}

	/** Resolves once the body and its record are durable on disk; waits while the queue is full. */
	/** `after`: a job id this one must wait for (done or failed) before it starts; it holds no slot meanwhile. */
	async enqueue(input: {key: string; kind: UploadKind; body: Uint8Array; meta?: Record<string, unknown>; after?: string}): Promise<string> {
		if (this.closed) throw new UserError('upload queue is closed');
		if (this.full || this.slotWaiters.length > 0) await new Promise<void>((resolve, reject) => this.slotWaiters.push({resolve, reject}));
		else this.pending++;
		const seq = this.nextSeq++;
		const id = `${String(seq).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;
		const record: JobRecord = {
			version: 1,
			id,
			seq,
			key: input.key,
			kind: input.kind,
			meta: input.meta ?? {},
			...(input.after ? {after: input.after} : {}),
			bytes: input.body.byteLength,
			attempts: 0,
			state: 'queued',
			error: null,
			queuedAt: this.opts.now(),
		};
		const write = writeJob(this.opts.dir, record, input.body);
		this.writes.add(write);
		try {
			await write;
		} catch (error) {
			this.releaseSlot();
			throw error;
		} finally {
			this.writes.delete(write);
		}
		const job: Job = {...record, cooling: false, disk: Promise.resolve(), waiters: []};
		this.jobs.set(id, job);
		this.emit(job);
		this.pump();
		return id;
	}

	whenDone(id: string): Promise<void> {
		const job = this.jobs.get(id);
		if (!job) return this.doneIds.has(id) ? Promise.resolve() : Promise.reject(new Error(`upload queue: no job ${id}`));
		if (job.state === 'failed') return Promise.reject(new Error(`upload ${job.key} failed: ${job.error}`));
		return new Promise((resolve, reject) => job.waiters.push({resolve, reject}));
	}

	/** Unfinished jobs (queued, uploading, failed) in enqueue order. */
	snapshot(): UploadItem[] {
		return [...this.jobs.values()].sort((a, b) => a.seq - b.seq).map(item);
	}

	/** Requeues a failed job with a fresh set of attempts. */
	async retry(id: string): Promise<void> {
		const job = this.jobs.get(id);
		if (!job) throw new UserError(`upload queue: no job ${id}`);
		if (job.state !== 'failed') return;
		if (this.closed) throw new UserError('upload queue is closed');
		Object.assign(job, {state: 'queued', attempts: 0, error: null, cooling: false});
		this.pending++;
		this.emit(job);
		await this.persist(job);
		this.pump();
	}

	/** Stops starting uploads, waits for those in flight (aborted first if asked), keeps the rest on disk. */
	async close(options: {abort?: boolean} = {}): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		for (const waiter of this.slotWaiters.splice(0)) waiter.reject(new UserError('upload queue is closed'));
		if (options.abort) this.abort.abort(new Error('upload queue closed'));
		if (this.running > 0) await new Promise<void>(resolve => (this.idle = resolve));
		await Promise.allSettled([...this.writes]);
		await Promise.all([...this.jobs.values()].map(job => job.disk));
		// whenDone() of unfinished jobs stays pending: closing is not a failure, and rejecting
		// would crash a caller that never expected it (the job resumes at the next open).
		await this.unlock();
	}

	private pump(): void {
		while (!this.closed && this.running < this.opts.concurrency) {
			let next: Job | undefined;
			for (const job of this.jobs.values()) if (job.state === 'queued' && !job.cooling && !this.blocked(job) && (!next || job.seq < next.seq)) next = job;
			if (!next) return;
			void this.attempt(next);
		}
	}

	// Waiting for another job happens here, before a slot is taken, never inside run().
	private blocked(job: Job): boolean {
		const before = job.after === undefined ? undefined : this.jobs.get(job.after);
		return before !== undefined && before.state !== 'failed' && before.state !== 'done';
	}

	private async attempt(job: Job): Promise<void> {
		this.running++;
		job.state = 'uploading';
		job.attempts++;
		this.emit(job);
		void this.persist(job);
		let failure: unknown = null;
		try {
			await this.opts.run(this.view(job));
		} catch (error) {
			failure = error ?? new Error('upload failed');
		}
		if (failure === null) await this.succeed(job);
		else await this.fail(job, failure);
		this.running--;
		if (this.running === 0 && this.idle) this.idle();
		this.pump();
	}

	private async succeed(job: Job): Promise<void> {
		job.state = 'done';
		job.error = null;
		this.emit(job);
		job.disk = job.disk.then(() => removeJob(this.opts.dir, job.id)).catch(error => this.warn(`upload queue: could not remove finished job ${job.id}: ${errorMessage(error)}`));
		await job.disk;
		this.jobs.delete(job.id);
		this.doneIds.add(job.id);
		if (this.doneIds.size > DONE_MEMORY) this.doneIds.delete(this.doneIds.values().next().value!);
		for (const waiter of job.waiters.splice(0)) waiter.resolve();
		this.releaseSlot();
	}

	private async fail(job: Job, failure: unknown): Promise<void> {
		job.error = errorMessage(failure);
		if (this.abort.signal.aborted) {
			// Stopped by close(), not the upload's fault: not an attempt.
			job.attempts--;
			job.state = 'queued';
		} else if (job.attempts >= this.opts.maxAttempts) {
			job.state = 'failed';
			this.emit(job);
			await this.persist(job); // on disk as failed before anyone hears of it
			for (const waiter of job.waiters.splice(0)) waiter.reject(new Error(`upload ${job.key} failed after ${job.attempts} attempts: ${job.error}`));
			this.releaseSlot();
			return;
		} else if (this.closed) {
			job.state = 'queued'; // tried again after the next open
		} else {
			job.state = 'queued';
			job.cooling = true;
			const delay = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** (job.attempts - 1));
			const timer = setTimeout(() => {
				this.timers.delete(timer);
				job.cooling = false;
				this.pump();
			}, delay);
			this.timers.add(timer);
		}
		this.emit(job);
		await this.persist(job);
	}

	// Disk writes of one job run in order; a failed state write is only a warning (the
	// older state on disk is safe: at worst the job is tried again after a restart).
	private persist(job: Job): Promise<void> {
		const {cooling, disk, waiters, ...record} = job;
		job.disk = disk.then(() => updateJob(this.opts.dir, record)).catch(error => this.warn(`upload queue: could not save state of ${job.id}: ${errorMessage(error)}`));
		return job.disk;
	}

	private releaseSlot(): void {
		this.pending--;
		while (this.slotWaiters.length > 0 && this.pending < this.opts.maxPending) {
			this.pending++;
			this.slotWaiters.shift()!.resolve();
		}
	}

	private view(job: Job): QueuedJob {
		const path = bodyFile(this.opts.dir, job.id);
		return {
			id: job.id,
			key: job.key,
			kind: job.kind,
			meta: job.meta,
			attempts: job.attempts,
			body: async () => {
				const bytes = await readFile(path);
				return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength); // no copy
			},
			bodyPath: path,
			signal: this.abort.signal,
		};
	}

	private emit(job: Job): void {
		try {
			this.opts.onChange?.(item(job));
		} catch (error) {
			this.warn(`upload queue: onChange threw: ${errorMessage(error)}`);
		}
	}

	private warn(text: string): void {
		try {
			this.opts.onWarning?.(text);
		} catch {
			// A broken warning sink must not stop uploads.
		}
	}
}

const item = (job: JobRecord): UploadItem => ({
	id: job.id,
	key: job.key,
	kind: job.kind,
	bytes: job.bytes,
	attempts: job.attempts,
	state: job.state,
	error: job.error,
	queuedAt: job.queuedAt,
});
