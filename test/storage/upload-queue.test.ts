// Persistent upload queue against real files and a real HTTP store on 127.0.0.1: durability,
// restart and crash survival, backpressure, concurrency, retries, corrupt files, disk errors.
import {test, beforeEach, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {UploadQueue} from '../../source/storage/upload-queue.js';
import {UserError} from '../../source/errors.js';
import type {UploadItem} from '../../source/miner/types.js';
import {bodyOf, putTo, startStore, type StoreServer} from './store-server.js';

let root: string;
let dir: string;
let store: StoreServer;
const open: UploadQueue[] = [];

beforeEach(async () => {
	root = mkdtempSync(join(tmpdir(), 'iota-queue-'));
	dir = join(root, 'uploads');
	store = await startStore();
});
afterEach(async () => {
	for (const q of open.splice(0)) await q.close({abort: true});
	await store.close();
	rmSync(root, {recursive: true, force: true});
});

const openQueue = async (opts: Partial<Parameters<typeof UploadQueue.open>[0]> = {}) => {
	const q = await UploadQueue.open({dir, run: putTo(store.url), backoffMs: 1, maxBackoffMs: 4, ...opts});
	open.push(q);
	return q;
};
const closeQueue = async (q: UploadQueue, abort = false) => {
	open.splice(open.indexOf(q), 1);
	await q.close({abort});
};
const onDisk = () => readdirSync(join(dir, 'jobs')).sort();
const diskState = (id: string) => (JSON.parse(readFileSync(join(dir, 'jobs', id, 'job.json'), 'utf8')) as {state: string; attempts: number}).state;
const turns = async (n = 20) => {
	for (let i = 0; i < n; i++) await new Promise(resolve => setImmediate(resolve));
};

test('enqueue is durable before it resolves; the body is delivered byte for byte and then leaves the disk', async () => {
	store.hold();
	const items: UploadItem[] = [];
	const q = await openQueue({onChange: item => items.push(item)});
	const big = bodyOf(7, 3 * 1024 * 1024 + 5);
	const id = await q.enqueue({key: 'weights/3/w.bin', kind: 'weights', body: big, meta: {layer: 3}});
	const [folder] = onDisk();
	assert.equal(folder, id);
	assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'jobs', id, 'body.bin'))), big);
	const record = JSON.parse(readFileSync(join(dir, 'jobs', id, 'job.json'), 'utf8')) as Record<string, unknown>;
	assert.equal(record.key, 'weights/3/w.bin');
	assert.deepEqual(record.meta, {layer: 3});
	assert.equal(record.bytes, big.byteLength);
	await store.waitFor(() => store.held === 1);
	assert.deepEqual(q.snapshot().map(i => [i.key, i.state, i.attempts, i.bytes]), [['weights/3/w.bin', 'uploading', 1, big.byteLength]]);
	store.release();
	await q.whenDone(id);
	assert.deepEqual(new Uint8Array(store.bodies.get('weights/3/w.bin')!), big);
	assert.deepEqual(onDisk(), []);
	assert.deepEqual(q.snapshot(), []);
	await q.whenDone(id); // still answers after the job left
	assert.deepEqual(items.map(i => i.state), ['queued', 'uploading', 'done']);
	assert.ok(items.every(i => i.id === id && i.kind === 'weights' && i.bytes === big.byteLength && typeof i.queuedAt === 'number'));
});

test('unfinished counts an enqueue still writing its file, so a drain does not stop before it lands', async () => {
	store.hold();
	const q = await openQueue();
	assert.equal(q.unfinished, 0);
	const queued = q.enqueue({key: 'a/b.bin', kind: 'activation', body: bodyOf(3, 1024 * 1024)});
	assert.equal(q.snapshot().length, 0, 'not in the snapshot while its file is written');
	assert.equal(q.unfinished, 1);
	const id = await queued;
	assert.equal(q.unfinished, 1);
	store.release();
	await q.whenDone(id);
	assert.equal(q.unfinished, 0);
});

test('close() mid-queue keeps the rest on disk; a reopened queue delivers every body exactly once, in order', async () => {
	store.hold();
	const q = await openQueue({concurrency: 1});
	const ids: string[] = [];
	for (let i = 0; i < 5; i++) ids.push(await q.enqueue({key: `act/${i}.bin`, kind: 'activation', body: bodyOf(i)}));
	await store.waitFor(() => store.held === 1);
	let settled = false;
	void q.whenDone(ids[4]!).finally(() => (settled = true));
	const closing = closeQueue(q);
	store.release(); // close waits for the upload in flight
	await closing;
	await turns();
	assert.equal(settled, false, 'closing is not a failure: whenDone stays pending');
	assert.deepEqual([...store.bodies.keys()], ['act/0.bin']);
	assert.deepEqual(onDisk(), ids.slice(1));
	assert.ok(ids.slice(1).every(id => diskState(id) === 'queued'));

	const order: string[] = [];
	const again = await openQueue({concurrency: 1, onChange: item => item.state === 'uploading' && order.push(item.key)});
	assert.deepEqual(again.snapshot().map(i => i.id), ids.slice(1));
	await Promise.all(ids.slice(1).map(id => again.whenDone(id)));
	assert.deepEqual(order, ['act/1.bin', 'act/2.bin', 'act/3.bin', 'act/4.bin']);
	for (let i = 0; i < 5; i++) {
		assert.deepEqual(new Uint8Array(store.bodies.get(`act/${i}.bin`)!), bodyOf(i));
		assert.equal(store.puts.get(`act/${i}.bin`), 1);
	}
	assert.deepEqual(onDisk(), []);
});

test('a process killed mid-upload (SIGKILL) leaves jobs that the next queue finishes', async () => {
	store.hold();
	const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('crash-child.ts', import.meta.url)), dir, store.url, '6'], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	let out = '';
	const printed = new Promise<void>(resolve =>
		child.stdout.on('data', (chunk: Buffer) => {
			out += chunk.toString();
			if (out.includes('\n')) resolve();
		}),
	);
	const exited = new Promise(resolve => child.on('exit', resolve));
	await Promise.race([Promise.all([printed, store.waitFor(() => store.held === 2)]), exited]);
	assert.ok(out.includes('\n'), 'child printed its job ids');
	const ids = JSON.parse(out) as string[];
	child.kill('SIGKILL');
	await exited;
	// On disk: two caught mid-upload, four still queued, the lock of a dead process.
	assert.deepEqual(onDisk(), ids);
	assert.deepEqual(ids.map(diskState).sort(), ['queued', 'queued', 'queued', 'queued', 'uploading', 'uploading']);
	assert.ok(existsSync(join(dir, 'lock')));
	await store.waitFor(() => store.held === 0); // the dead child's requests dropped, nothing stored
	store.release();
	assert.equal(store.bodies.size, 0);

	const resumed: UploadItem[] = [];
	const q = await openQueue({onChange: item => resumed.push(item)});
	assert.deepEqual(resumed.slice(0, 6).map(i => [i.id, i.state]), ids.map(id => [id, 'queued']), 'announced as queued, in enqueue order');
	await Promise.all(ids.map(id => q.whenDone(id)));
	for (let i = 0; i < 6; i++) {
		assert.deepEqual(new Uint8Array(store.bodies.get(`act/${i}.bin`)!), bodyOf(i), `body ${i}`);
		assert.equal(store.puts.get(`act/${i}.bin`), 1);
	}
	assert.deepEqual(onDisk(), []);
});

test('backpressure: enqueue waits while maxPending jobs are pending and resumes when one finishes', async () => {
	store.hold();
	const log: string[] = [];
	const q = await openQueue({concurrency: 1, maxPending: 2, onChange: item => log.push(`${item.state}:${item.key}`)});
	const a = await q.enqueue({key: 'a', kind: 'activation', body: bodyOf(1)});
	await q.enqueue({key: 'b', kind: 'activation', body: bodyOf(2)});
	assert.equal(q.full, true);
	let cDone = false;
	const c = q.enqueue({key: 'c', kind: 'activation', body: bodyOf(3)}).then(id => {
		cDone = true;
		log.push('enqueued:c');
		return id;
	});
	await store.waitFor(() => store.held === 1);
	await turns();
	assert.equal(cDone, false, 'enqueue waits while full');
	assert.equal(q.snapshot().length, 2);
	store.release();
	await q.whenDone(await c);
	assert.ok(log.indexOf('done:a') < log.indexOf('enqueued:c'), log.join(' '));
	assert.equal(q.full, false);
	await q.whenDone(a);
	assert.deepEqual([...store.bodies.keys()].sort(), ['a', 'b', 'c']);
});

test('concurrency bound as seen by the store', async () => {
	store.holdInBatchesOf(3);
	let uploading = 0;
	let most = 0;
	const q = await openQueue({
		concurrency: 3,
		onChange: item => {
			if (item.state === 'uploading') most = Math.max(most, ++uploading);
			if (item.state === 'done') uploading--;
		},
	});
	const ids = await Promise.all(Array.from({length: 12}, (_, i) => q.enqueue({key: `k${i}`, kind: 'activation', body: bodyOf(i)})));
	await Promise.all(ids.map(id => q.whenDone(id)));
	assert.equal(store.maxInFlight, 3);
	assert.equal(most, 3);
	assert.equal(store.bodies.size, 12);
});

test('transient failures are retried with backoff until the upload succeeds', async () => {
	store.failNext(2);
	const items: UploadItem[] = [];
	const q = await openQueue({maxAttempts: 5, onChange: item => items.push(item)});
	const id = await q.enqueue({key: 'flaky', kind: 'metadata', body: bodyOf(9)});
	await q.whenDone(id);
	assert.equal(store.requests, 3);
	assert.deepEqual(
		items.map(i => `${i.state}/${i.attempts}`),
		['queued/0', 'uploading/1', 'queued/1', 'uploading/2', 'queued/2', 'uploading/3', 'done/3'],
	);
	assert.match(items[2]!.error!, /HTTP 500/);
	assert.deepEqual(new Uint8Array(store.bodies.get('flaky')!), bodyOf(9));
});

test('after maxAttempts a job is failed, kept on disk across restarts, and retry() delivers it', async () => {
	store.failNext(3);
	const q = await openQueue({maxAttempts: 3});
	const id = await q.enqueue({key: 'doomed', kind: 'partition', body: bodyOf(4), meta: {section: 2}});
	await assert.rejects(q.whenDone(id), /doomed failed after 3 attempts: PUT doomed: HTTP 500/);
	const [failed] = q.snapshot();
	assert.equal(failed!.state, 'failed');
	assert.equal(failed!.attempts, 3);
	assert.match(failed!.error!, /HTTP 500/);
	assert.equal(diskState(id), 'failed');
	assert.equal(q.full, false, 'failed jobs do not hold a pending slot');
	await closeQueue(q);

	const again = await openQueue({maxAttempts: 3});
	assert.deepEqual(again.snapshot().map(i => [i.id, i.state]), [[id, 'failed']], 'a failed job stays failed after a restart');
	await assert.rejects(again.whenDone(id), /failed/);
	await again.retry(id);
	await again.whenDone(id);
	assert.equal(store.requests, 4);
	assert.deepEqual(new Uint8Array(store.bodies.get('doomed')!), bodyOf(4));
	assert.deepEqual(onDisk(), []);
});

test('close({abort}) stops uploads without counting an attempt; corrupt job folders are moved aside at open', async () => {
	store.hold();
	const q = await openQueue();
	const good = await q.enqueue({key: 'good', kind: 'activation', body: bodyOf(5)});
	await store.waitFor(() => store.held === 1);
	await closeQueue(q, true);
	assert.equal(diskState(good), 'queued');
	store.release();

	mkdirSync(join(dir, 'jobs', 'garbage'));
	writeFileSync(join(dir, 'jobs', 'garbage', 'job.json'), '{"version": 1, "id": "gar');
	writeFileSync(join(dir, 'jobs', 'stray.txt'), 'not a job folder');
	const truncated = join(dir, 'jobs', '0000000042-deadbeef');
	mkdirSync(truncated);
	writeFileSync(join(truncated, 'job.json'), readFileSync(join(dir, 'jobs', good, 'job.json'), 'utf8').replaceAll(good, '0000000042-deadbeef'));
	writeFileSync(join(truncated, 'body.bin'), bodyOf(5).slice(0, 10));

	const warnings: string[] = [];
	const resumed: UploadItem[] = [];
	const again = await openQueue({onWarning: text => warnings.push(text), onChange: item => resumed.push(item)});
	assert.equal(warnings.length, 3, warnings.join('\n'));
	assert.ok(warnings.every(w => /moved unreadable job .* to .*corrupt/.test(w)));
	assert.ok(warnings.some(w => /body\.bin has 10 bytes/.test(w)));
	assert.deepEqual(readdirSync(join(dir, 'corrupt')).map(n => n.replace(/-\d+$/, '')).sort(), ['0000000042-deadbeef', 'garbage', 'stray.txt']);
	assert.deepEqual([resumed[0]!.id, resumed[0]!.state, resumed[0]!.attempts], [good, 'queued', 0]);
	await again.whenDone(good);
	assert.deepEqual(new Uint8Array(store.bodies.get('good')!), bodyOf(5));
});

test('a file where the queue folder should be: one-line UserError, existing jobs untouched', async () => {
	store.hold();
	const q = await openQueue();
	const first = await q.enqueue({key: 'first', kind: 'activation', body: bodyOf(1)});
	await store.waitFor(() => store.held === 1);
	rmSync(join(dir, 'tmp'), {recursive: true});
	writeFileSync(join(dir, 'tmp'), 'in the way');
	const error = await q.enqueue({key: 'second', kind: 'activation', body: bodyOf(2)}).catch((e: unknown) => e);
	assert.ok(error instanceof UserError);
	assert.match(error.message, /^upload queue: cannot write .*tmp.* \(ENOTDIR\): a file stands where a folder should be; move it away/);
	assert.doesNotMatch(error.message, /\n/);
	assert.equal(q.full, false, 'the failed enqueue gave its slot back');
	store.release();
	await q.whenDone(first);
	assert.deepEqual(new Uint8Array(store.bodies.get('first')!), bodyOf(1));
	await closeQueue(q);

	rmSync(root, {recursive: true, force: true});
	mkdirSync(root);
	writeFileSync(dir, 'a file, not a folder');
	await assert.rejects(UploadQueue.open({dir, run: putTo(store.url)}), (e: unknown) => e instanceof UserError && /ENOTDIR|EEXIST/.test(e.message));
});

// A real full disk: a 256 KiB tmpfs (needs root and mount; skipped elsewhere).
const mountTmpfs = (at: string): boolean => {
	try {
		execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', at], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
};

test('a full disk (ENOSPC) on enqueue: one-line UserError naming what to do, existing jobs untouched', async t => {
	const mount = join(root, 'small');
	mkdirSync(mount);
	if (process.getuid?.() !== 0 || !mountTmpfs(mount)) return t.skip('needs root to mount a small tmpfs');
	try {
		dir = join(mount, 'uploads');
		store.hold();
		const q = await openQueue();
		const first = await q.enqueue({key: 'first', kind: 'activation', body: bodyOf(1, 64 * 1024)});
		await store.waitFor(() => store.held === 1);
		const error = await q.enqueue({key: 'huge', kind: 'activation', body: bodyOf(2, 1024 * 1024)}).catch((e: unknown) => e);
		assert.ok(error instanceof UserError, String(error));
		assert.match(error.message, /^upload queue: disk full writing .* \(ENOSPC\); free space on that disk or start the miner with --data-dir on another disk$/);
		assert.doesNotMatch(error.message, /\n/);
		assert.deepEqual(readdirSync(join(dir, 'tmp')), [], 'the half-written job was cleaned up');
		assert.deepEqual(onDisk(), [first]);
		store.release();
		await q.whenDone(first);
		assert.deepEqual(new Uint8Array(store.bodies.get('first')!), bodyOf(1, 64 * 1024));
		await closeQueue(q);
	} finally {
		execFileSync('umount', [mount]);
	}
});

test('one queue per folder: a second open in this process or while another live process holds it is refused', async () => {
	const q = await openQueue();
	await assert.rejects(UploadQueue.open({dir, run: putTo(store.url)}), /already open in this process/);
	await closeQueue(q);
	writeFileSync(join(dir, 'lock'), String(process.ppid)); // a live process that is not us
	await assert.rejects(UploadQueue.open({dir, run: putTo(store.url)}), /in use by process \d+; stop that miner first/);
	writeFileSync(join(dir, 'lock'), '999999999'); // no such process: a stale lock is taken over
	await closeQueue(await openQueue());
});

test('jobs that wait for another (after) hold no slot: two failing initials cannot wedge the forwards behind them', async () => {
	// The old deadlock: each forward took a slot and then waited for its initial, which waited for a slot.
	const failuresLeft = new Map<string, number>([['i1', 2], ['i2', 2]]);
	const order: string[] = [];
	const q = await openQueue({
		concurrency: 2,
		maxAttempts: 5,
		run: async job => {
			const left = failuresLeft.get(job.key) ?? 0;
			if (left > 0) {
				failuresLeft.set(job.key, left - 1);
				throw new Error('HTTP 401 publish refused');
			}
			order.push(job.key);
		},
	});
	const i1 = await q.enqueue({key: 'i1', kind: 'activation', body: bodyOf(1, 8)});
	const f1 = await q.enqueue({key: 'f1', kind: 'activation', body: bodyOf(2, 8), after: i1});
	const i2 = await q.enqueue({key: 'i2', kind: 'activation', body: bodyOf(3, 8)});
	const f2 = await q.enqueue({key: 'f2', kind: 'activation', body: bodyOf(4, 8), after: i2});
	let timer: NodeJS.Timeout | undefined;
	const all = Promise.all([i1, f1, i2, f2].map(id => q.whenDone(id)));
	const finished = await Promise.race([all.then(() => true), new Promise<false>(resolve => (timer = setTimeout(() => resolve(false), 10_000)))]);
	clearTimeout(timer);
	assert.ok(finished, `the queue wedged: ${JSON.stringify(q.snapshot().map(i => [i.key, i.state, i.attempts]))}`);
	assert.ok(order.indexOf('f1') > order.indexOf('i1') && order.indexOf('f2') > order.indexOf('i2'), `each forward after its initial: ${order.join(', ')}`);
	// A job whose predecessor is unknown (finished long ago, before a restart) runs.
	const id = await q.enqueue({key: 'f3', kind: 'activation', body: bodyOf(5, 8), after: 'no-such-job'});
	await q.whenDone(id);
	assert.ok(order.includes('f3'), 'a job whose predecessor is gone runs');
});

test('corrupt/ keeps only the newest 20 folders, so a queue that keeps meeting bad jobs stays bounded', async () => {
	mkdirSync(join(dir, 'corrupt'), {recursive: true});
	for (let i = 0; i < 30; i++) mkdirSync(join(dir, 'corrupt', `old-${1000 + i}`));
	mkdirSync(join(dir, 'jobs', 'garbage'), {recursive: true});
	writeFileSync(join(dir, 'jobs', 'garbage', 'job.json'), '{');
	const q = await openQueue({onWarning: () => {}});
	const kept = readdirSync(join(dir, 'corrupt'));
	assert.equal(kept.length, 20);
	assert.ok(kept.some(n => n.startsWith('garbage-')), 'the job just moved aside is kept');
	assert.ok(!kept.includes('old-1000') && kept.includes('old-1029'), 'the oldest go first');
	await closeQueue(q, true);
});
