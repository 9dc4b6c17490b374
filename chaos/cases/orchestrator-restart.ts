// The orchestrator SIGKILLed and started again, once mid-training and once mid-merge: the miners
// reconnect, keep their layers and finish the merge cycle; no committed SQLite row is lost.
import {join} from 'node:path';
import {everyLayerMerges, everyLayerTrains, fatalErrors, layers, unexpectedExits} from '../checks.js';
import {committedKeys, missing, rowCount} from '../sqlite-rows.js';
import type {ChaosSwarm} from '../swarm.js';
import {sleep, verdict, type ChaosCase} from '../types.js';

const MERGING = new Set(['weights_uploading', 'merging_partitions', 'miners_merging_partitions']);

/** Kills the orchestrator, reads its committed rows, starts it again; rows missing after the restart. */
async function killAndRestart(swarm: ChaosSwarm, downMs: number): Promise<{before: number; lost: number}> {
	const file = join(swarm.spec.dataDir, swarm.spec.protocol === 'current' ? 'current.sqlite' : 'orchestrator.sqlite');
	await swarm.orchestrator.kill('SIGKILL');
	const before = committedKeys(file);
	await sleep(downMs);
	await swarm.orchestrator.start();
	return {before: rowCount(before), lost: missing(before, committedKeys(file))};
}

export const orchestratorRestart: ChaosCase = {
	name: 'orchestrator-restart',
	async run({swarm, reduced, log}) {
		const from = swarm.events.length;
		const fromLine = swarm.lines.length;
		const layersBefore = layers(swarm);
		const trained = await everyLayerTrains(swarm, from, 1, 120_000);
		const a = await killAndRestart(swarm, 5000);
		log(`orchestrator killed mid-training and restarted (${a.before} committed rows, ${a.lost} lost)`);
		const afterA = swarm.events.length;
		const resumed = await everyLayerTrains(swarm, afterA, 1, 180_000);
		const inMerge = await swarm.until(() => swarm.since(afterA, e => e.event === 'phase' && MERGING.has(e.phase as string)).length > 0, reduced ? 300_000 : 420_000);
		const b = await killAndRestart(swarm, 3000);
		log(`orchestrator killed mid-merge and restarted (${b.before} committed rows, ${b.lost} lost)`);
		const afterB = swarm.events.length;
		const merged = await everyLayerMerges(swarm, afterB, 1, reduced ? 300_000 : 420_000);
		const layersAfter = layers(swarm);
		const moved = [...layersBefore].filter(([hotkey, layer]) => layersAfter.get(hotkey) !== layer).length;
		const counts = {
			kills: 2, rows_before_kill: a.before + b.before, rows_lost: a.lost + b.lost, layer_changes: moved,
			merges_after: swarm.merges(afterB).reduce((x, y) => x + y, 0), link_down_events: swarm.since(from, e => e.event === 'link' && e.service === 'orchestrator' && e.ok === false).length,
			exits: unexpectedExits(swarm, fromLine).length, fatal: fatalErrors(swarm, from).length,
		};
		return verdict('orchestrator-restart', counts, {
			'trained before the first kill': trained,
			'every layer trained after the mid-training restart': resumed,
			'a merge phase began (second kill mid-merge)': inMerge,
			'every layer finished a merge after the mid-merge restart': merged,
			'no committed row lost': counts.rows_lost === 0,
			'every miner kept its layer': moved === 0,
			'no miner exited or failed': counts.exits === 0 && counts.fatal === 0,
		});
	},
};
