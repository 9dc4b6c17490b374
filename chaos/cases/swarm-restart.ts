// The whole devnet swarm stopped and started again on its own data dir: every layer merges again
// within minutes (work a miner can no longer do is given back or dropped, on both sides).
import {everyLayerMerges, is} from '../checks.js';
import {verdict, type ChaosCase} from '../types.js';

export const swarmRestart = (name: string): ChaosCase => ({
	name,
	async run(ctx) {
		const merged = await everyLayerMerges(ctx.swarm, 0, 1, 600_000);
		const mergesBefore = ctx.swarm.merges(0).reduce((a, b) => a + b, 0);
		const t0 = Date.now();
		const swarm = await ctx.restartSwarm();
		ctx.log(`swarm restarted on ${swarm.spec.dataDir} in ${Math.round((Date.now() - t0) / 1000)} s`);
		const started = Date.now();
		const again = await everyLayerMerges(swarm, 0, 1, ctx.reduced ? 480_000 : 600_000);
		const skipped = swarm.since(0, e => e.event === 'log' && /holds no forward for it/.test(String(e.text))).length;
		const counts = {
			merges_before: mergesBefore, merges_after: swarm.merges(0).reduce((a, b) => a + b, 0), seconds_to_merge: Math.round((Date.now() - started) / 1000),
			batches_after: swarm.since(0, is('batch')).length, backwards_skipped: skipped,
		};
		return verdict(name, counts, {'every layer merged before the stop': merged, 'every layer merged again after the restart': again});
	},
});
