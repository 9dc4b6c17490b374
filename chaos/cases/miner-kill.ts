// A miner SIGKILLed mid-upload and again mid-batch, restarted each time: its queue resumes, nothing is
// uploaded twice, and its wallet and config files are untouched.
import {join} from 'node:path';
import {fatalErrors, is} from '../checks.js';
import {fingerprint, queuedJobs, sameFiles} from '../files.js';
import type {ChaosSwarm} from '../swarm.js';
import {verdict, type ChaosCase} from '../types.js';

/** Kills `miner` right after the next event of it that `match` accepts; false if none came in time. */
async function killAfter(swarm: ChaosSwarm, index: number, match: (e: Record<string, unknown>) => boolean): Promise<boolean> {
	const miner = swarm.miners.miners[index]!;
	const from = swarm.events.length;
	const seen = await swarm.until(() => swarm.since(from, e => e.hotkey === miner.hotkey && match(e)).length > 0, 180_000);
	const exited = new Promise(resolve => miner.child?.once('exit', resolve));
	miner.kill('SIGKILL');
	await exited;
	return seen;
}

export const minerKill: ChaosCase = {
	name: 'miner-kill',
	async run({swarm, log}) {
		const from = swarm.events.length;
		const miner = swarm.miners.miners[0]!;
		const queueDir = join(miner.dataDir, 'uploads', miner.hotkey);
		const wallet = fingerprint(miner.ref.path);
		const config = fingerprint(process.env.IOTA_TUI_CONFIG_DIR ?? '/nonexistent');
		const midUpload = await killAfter(swarm, 0, e => e.event === 'upload' && e.state === 'uploading');
		const left = queuedJobs(queueDir).length;
		log(`miner 0 killed mid-upload with ${left} job(s) on disk; restarting`);
		const restart1 = swarm.events.length;
		await miner.start();
		const resumed = await swarm.until(() => queuedJobs(queueDir).length === 0 || swarm.since(restart1, e => e.hotkey === miner.hotkey && e.event === 'upload' && e.state === 'done').length >= left, 180_000);
		const midBatch = await killAfter(swarm, 0, e => e.event === 'waiting' && e.what === null);
		log('miner 0 killed mid-batch; restarting');
		const restart2 = swarm.events.length;
		await miner.start();
		const trains = await swarm.until(() => swarm.since(restart2, e => e.hotkey === miner.hotkey && e.event === 'batch').length > 0, 180_000);
		const done = new Map<string, number>();
		for (const u of swarm.since(from, e => is('upload')(e) && e.hotkey === miner.hotkey && e.state === 'done')) done.set(u.key as string, (done.get(u.key as string) ?? 0) + 1);
		const twice = [...done.values()].filter(n => n > 1).length;
		const counts = {kills: 2, jobs_left_at_kill: left, uploads_done: done.size, uploaded_twice: twice, wallet_files: wallet.size, fatal: fatalErrors(swarm, restart1).length};
		return verdict('miner-kill', counts, {
			'killed mid-upload': midUpload,
			'the queue resumed after the restart': resumed,
			'killed mid-batch': midBatch,
			'it trained again after the second restart': trains,
			'nothing uploaded twice': twice === 0,
			'wallet untouched': sameFiles(wallet, fingerprint(miner.ref.path)),
			'config untouched': sameFiles(config, fingerprint(process.env.IOTA_TUI_CONFIG_DIR ?? '/nonexistent')),
			'no fatal error after the restarts': counts.fatal === 0,
		});
	},
};
