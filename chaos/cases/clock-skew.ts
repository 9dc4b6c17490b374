// One miner's clock 20 s ahead, then 20 s behind (libfaketime): it names the skew and the fix in one
// line instead of looping on refused signatures in silence.
import {existsSync} from 'node:fs';
import {verdict, type ChaosCase} from '../types.js';
import type {ChaosSwarm} from '../swarm.js';

const LIB = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1'].find(existsSync);

async function skewed(swarm: ChaosSwarm, offset: string): Promise<{named: boolean; silent: number; errors: number}> {
	const miner = swarm.miners.miners.at(-1)!;
	await miner.stop();
	const from = swarm.events.length;
	void miner.start({LD_PRELOAD: LIB!, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_NO_CACHE: '1'});
	const mine = (e: Record<string, unknown>) => e.hotkey === miner.hotkey;
	const names = (e: Record<string, unknown>) => mine(e) && /clock is 2[01] s (ahead of|behind)/.test(String(e.text ?? e.message ?? ''));
	const named = await swarm.until(() => swarm.since(from, names).length > 0, 120_000);
	const errors = swarm.since(from, e => mine(e) && e.event === 'error');
	// A refusal that does not say why (stale, without the clock named) is the silent loop this case guards against.
	const silent = errors.filter(e => /stale|timestamp|expired/i.test(String(e.message)) && !/clock is/.test(String(e.message))).length;
	await miner.stop();
	return {named, silent, errors: errors.length};
}

export const clockSkew: ChaosCase = {
	name: 'clock-skew',
	async run({swarm, log}) {
		if (!LIB) return verdict('clock-skew', {}, {'libfaketime installed (apt-get install faketime)': false});
		const ahead = await skewed(swarm, '+20s');
		log(`clock +20 s: named ${ahead.named}, ${ahead.errors} errors`);
		const behind = await skewed(swarm, '-20s');
		log(`clock -20 s: named ${behind.named}, ${behind.errors} errors`);
		await swarm.miners.miners.at(-1)!.start();
		const counts = {errors_ahead: ahead.errors, errors_behind: behind.errors, silent_refusals: ahead.silent + behind.silent};
		return verdict('clock-skew', counts, {'+20 s named': ahead.named, '-20 s named': behind.named, 'no refusal without the reason': counts.silent_refusals === 0});
	},
};
