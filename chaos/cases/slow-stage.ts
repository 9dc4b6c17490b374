// One miner throttled (SIGSTOP 4 s of every 5): the work it holds times out and goes elsewhere, and
// the swarm keeps moving (every layer trains and merges without it keeping up).
import {batchesPerLayer, everyLayerMerges, fatalErrors, layers} from '../checks.js';
import {verdict, type ChaosCase} from '../types.js';

export const slowStage: ChaosCase = {
	name: 'slow-stage',
	async run({swarm, reduced, log}) {
		const layerOf = layers(swarm);
		const slow = swarm.miners.miners.find(m => layerOf.get(m.hotkey) === 1)!;
		const pid = slow.child!.pid!;
		const from = swarm.events.length;
		let stopped = false;
		const tick = () => {
			if (!slow.running) return;
			process.kill(pid, stopped ? 'SIGCONT' : 'SIGSTOP');
			stopped = !stopped;
			timer = setTimeout(tick, stopped ? 4000 : 1000);
		};
		let timer = setTimeout(tick, 0);
		log(`miner ${slow.hotkey.slice(0, 8)} (layer 1) throttled to a fifth of its time`);
		let moving: boolean;
		try {
			// Two merges: the second cycle runs entirely while it crawls.
			moving = await everyLayerMerges(swarm, from, 2, reduced ? 300_000 : 600_000);
		} finally {
			clearTimeout(timer);
			if (stopped && slow.running) process.kill(pid, 'SIGCONT');
		}
		const mine = swarm.since(from, e => e.hotkey === slow.hotkey && e.event === 'batch').length;
		const perLayer = batchesPerLayer(swarm, from);
		const counts = {slow_miner_batches: mine, batches_layer0: perLayer[0]!, batches_layer1: perLayer[1]!, batches_layer2: perLayer[2]!, merges: swarm.merges(from).reduce((a, b) => a + b, 0), fatal: fatalErrors(swarm, from).length};
		return verdict('slow-stage', counts, {
			'every layer merged twice while one miner crawled': moving,
			'its layer-mate carried layer 1': perLayer[1]! > mine,
			'no fatal error': counts.fatal === 0,
		});
	},
};
