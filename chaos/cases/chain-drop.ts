// The miners' connection to the chain dropped for 30 s (a proxy cuts it and refuses new ones): the
// console shows it, the miners reconnect on their own and keep training throughout.
import {batchesPerLayer, everyLayerTrains, fatalErrors, unexpectedExits} from '../checks.js';
import {sleep, verdict, type ChaosCase} from '../types.js';

export const chainDrop: ChaosCase = {
	name: 'chain-drop',
	async run({swarm, reduced, log}) {
		const dropMs = reduced ? 10_000 : 30_000;
		const from = swarm.events.length;
		const fromLine = swarm.lines.length;
		swarm.chainProxy.cut();
		log(`chain link cut for ${dropMs / 1000} s`);
		await sleep(dropMs);
		const during = batchesPerLayer(swarm, from).reduce((a, b) => a + b, 0);
		const shown = swarm.since(from, e => e.event === 'link' && e.service === 'chain' && e.ok === false).length;
		swarm.chainProxy.restore();
		const back = swarm.events.length;
		const reconnected = await swarm.until(() => swarm.since(back, e => e.event === 'link' && e.service === 'chain' && e.ok === true).length >= shown && shown > 0, 60_000);
		const trains = await everyLayerTrains(swarm, back, 1, 180_000);
		const counts = {
			drop_s: dropMs / 1000, link_down_events: shown, link_up_events: swarm.since(back, e => e.event === 'link' && e.service === 'chain' && e.ok === true).length,
			batches_during: during, batches_after: batchesPerLayer(swarm, back).reduce((a, b) => a + b, 0),
			exits: unexpectedExits(swarm, fromLine).length, fatal: fatalErrors(swarm, from).length,
		};
		return verdict('chain-drop', counts, {
			'the console showed the lost chain link': shown > 0,
			'every miner that lost it reconnected': reconnected,
			'training went on during the drop': during > 0,
			'every layer trained after it': trains,
			'no miner exited or failed': counts.exits === 0 && counts.fatal === 0,
		});
	},
};
