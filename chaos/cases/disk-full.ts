// The upload queue's disk fills up (a small tmpfs mounted over one miner's queue folder): a clear
// one-line error naming the fix, no crash, no corrupted queue file, and uploads go on once there is room.
import {execFileSync} from 'node:child_process';
import {mkdirSync, openSync, rmSync, writeSync, closeSync} from 'node:fs';
import {join} from 'node:path';
import {fatalErrors} from '../checks.js';
import {corruptJobs, queuedJobs} from '../files.js';
import {verdict, type ChaosCase} from '../types.js';

/** Fills the file system holding `file` until ENOSPC, then frees `spare` bytes. */
function fill(file: string, spare: number): number {
	const fd = openSync(file, 'w');
	const chunk = Buffer.alloc(4096, 1);
	let n = 0;
	try {
		for (;;) n += writeSync(fd, chunk);
	} catch {
		// ENOSPC: the disk is full
	} finally {
		closeSync(fd);
	}
	execFileSync('truncate', ['-s', String(Math.max(0, n - spare)), file]);
	return n;
}

export const diskFull: ChaosCase = {
	name: 'disk-full',
	async run({swarm, log}) {
		const miner = swarm.miners.miners[0]!;
		const queueDir = join(miner.dataDir, 'uploads', miner.hotkey);
		await miner.stop();
		mkdirSync(queueDir, {recursive: true});
		try {
			execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', queueDir], {stdio: 'pipe'});
		} catch (error) {
			await miner.start();
			return verdict('disk-full', {}, {[`mount a tmpfs (needs root): ${String((error as Error).message).split('\n')[0]}`]: false});
		}
		try {
			const filler = join(queueDir, 'filler');
			const filled = fill(filler, 16 * 1024);
			log(`queue folder of miner 0 is a 1 MiB tmpfs, ${filled} bytes filled`);
			const from = swarm.events.length;
			await miner.start();
			const saidIt = (e: Record<string, unknown>) => e.hotkey === miner.hotkey && /disk full/.test(String(e.message ?? e.text ?? ''));
			const shown = await swarm.until(() => swarm.since(from, saidIt).length > 0, 240_000);
			const line = String(swarm.since(from, saidIt)[0]?.message ?? swarm.since(from, saidIt)[0]?.text ?? '');
			const corrupt = corruptJobs(queueDir).length;
			const alive = miner.running;
			rmSync(filler);
			const freed = swarm.events.length;
			const uploads = await swarm.until(() => swarm.since(freed, e => e.hotkey === miner.hotkey && e.event === 'upload' && e.state === 'done').length > 0, 240_000);
			const counts = {tmpfs_bytes: 1024 * 1024, disk_full_errors: swarm.since(from, saidIt).length, corrupt_jobs: corrupt, jobs_on_disk: queuedJobs(queueDir).length, fatal: fatalErrors(swarm, from).length};
			log(`disk full error: ${line}`);
			return verdict('disk-full', counts, {
				'a disk-full error naming the fix': shown && /free space.*--data-dir/.test(line) && !line.includes('\n'),
				'the miner kept running': alive && counts.fatal === 0,
				'no corrupted queue file': corrupt === 0,
				'uploads went on once there was room': uploads,
			});
		} finally {
			await miner.stop();
			execFileSync('umount', [queueDir]);
			await miner.start();
		}
	},
};
