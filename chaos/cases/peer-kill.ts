// A peer SIGKILLed right after a P2P transfer to it (current protocol): its neighbours retry or give
// the work back, nothing hangs, and every layer keeps training; the peer is started again after.
import {batchesPerLayer, fatalErrors, layers} from '../checks.js';
import {sleep, verdict, type ChaosCase} from '../types.js';

export const peerKill: ChaosCase = {
	name: 'peer-kill',
	async run({swarm, reduced, log}) {
		const from = swarm.events.length;
		const layerOf = layers(swarm);
		// A middle-layer miner that just received a push: others are sending to it now.
		const victim = swarm.miners.miners.find(m => layerOf.get(m.hotkey) === 1)!;
		const got = await swarm.until(() => swarm.since(from, e => e.event === 'p2p' && e.hotkey === victim.hotkey && e.direction === 'in').length > 0, 120_000);
		victim.kill('SIGKILL');
		const killed = swarm.events.length;
		log(`peer ${victim.hotkey.slice(0, 8)} (layer 1) killed after a transfer`);
		const watchMs = reduced ? 60_000 : 120_000;
		await sleep(watchMs);
		const others = swarm.miners.miners.filter(m => m !== victim);
		// Nothing hangs: every other miner did something (a batch, a merge or an upload) while it was gone.
		const busy = (hotkey: string) => swarm.since(killed, e => e.hotkey === hotkey && ['batch', 'merge_done', 'upload', 'p2p'].includes(e.event)).length > 0;
		const idle = others.filter(m => !busy(m.hotkey)).length;
		const perLayer = batchesPerLayer(swarm, killed);
		const failedSends = swarm.since(killed, e => e.event === 'log' && e.level === 'warn' && /not delivered|unreachable|timed out|retry/i.test(String(e.text))).length;
		void victim.start();
		const counts = {watch_s: watchMs / 1000, idle_miners: idle, batches_layer0: perLayer[0]!, batches_layer1: perLayer[1]!, batches_layer2: perLayer[2]!, sends_given_up_or_retried: failedSends, fatal: fatalErrors(swarm, from).length};
		return verdict('peer-kill', counts, {
			'the victim had a transfer in': got,
			'no other miner hung': idle === 0,
			'every layer trained while the peer was gone': perLayer.every(n => n > 0),
			'no fatal error': counts.fatal === 0,
		});
	},
};
