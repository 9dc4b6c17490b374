// The swarm side: a current-protocol devnet with 3 stages x 2 miners trains until every layer has merged
// `merges` times; its last stage's losses, the merge points and the merged model come back.
import {startSwarm, untilAll, type SwarmMiner} from '../../test/miner/swarm.js';
import type {CurrentDevnet} from '../../source/devnet/devnet.js';
import type {MinerEvent} from '../../source/miner/types.js';
import {mergedModel, type MergedModel} from './merged-weights.js';
import type {RunSettings} from './settings.js';

export type SwarmResult = {
	/** The last stage's training losses, both miners, in time order. */
	losses: number[];
	/** Per merge cycle: how many batches the swarm had trained when the last layer began uploading its weights. */
	mergeAt: number[];
	/** Batches trained before the final merge's weights upload: what the merged model has seen. */
	samplesInModel: number;
	merged: MergedModel;
	lr: number;
	seconds: number;
};

type Ev<T extends MinerEvent['type']> = Extract<MinerEvent, {type: T}>;
const eventsOf = <T extends MinerEvent['type']>(ms: SwarmMiner[], type: T): Ev<T>[] =>
	ms.flatMap(m => m.events.filter((e): e is Ev<T> => e.type === type));

/** The start of each merge cycle on a layer: its first weights_uploading after the previous cycle's merge_done. */
export function uploadStarts(ms: SwarmMiner[], merges: number): number[] {
	const uploads = eventsOf(ms, 'phase').filter(e => e.phase === 'weights_uploading').map(e => e.at).sort((a, b) => a - b);
	const done = eventsOf(ms, 'merge_done');
	const starts: number[] = [];
	for (let epoch = 1; epoch <= merges; epoch++) {
		const after = epoch === 1 ? 0 : Math.max(...done.filter(e => e.epoch === epoch - 1).map(e => e.at));
		const at = uploads.find(t => t > after);
		if (at === undefined) throw new Error(`no weights upload seen for merge ${epoch}`);
		starts.push(at);
	}
	return starts;
}

export async function runSwarm(s: RunSettings, trainFile: string, stageParams: number[], log: (line: string) => void): Promise<SwarmResult> {
	const t0 = Date.now();
	const swarm = await startSwarm({miners: 6, protocol: 'current', currentSettings: {...s.devnet, corpus: trainFile}, miner: {backend: s.backend}});
	try {
		const {miners} = swarm;
		const tails = miners.filter(m => m.store.getState().layer === 2);
		if (tails.length !== 2) throw new Error(`expected 2 miners on the last layer, got ${tails.length}`);
		const progress = setInterval(() => {
			const epochs = miners.map(m => m.store.getState().epoch).join('/');
			log(`swarm: ${Math.round((Date.now() - t0) / 1000)} s, ${eventsOf(tails, 'loss').length} batches, epochs ${epochs}`);
		}, 30_000);
		try {
			await untilAll(miners, st => st.epoch >= s.merges, 60 * 60_000, `${s.merges} merges on every layer`);
		} finally {
			clearInterval(progress);
		}
		const merged = await mergedModel(swarm.devnet as CurrentDevnet, 3, stageParams);
		const losses = eventsOf(tails, 'loss').sort((a, b) => a.at - b.at);
		const mergeAt = uploadStarts(tails, s.merges).map(t => losses.filter(l => l.at <= t).length);
		const lr = eventsOf(miners, 'lr')[0]?.value;
		if (lr === undefined) throw new Error('no miner reported its learning rate');
		return {losses: losses.map(l => l.value), mergeAt, samplesInModel: mergeAt.at(-1)!, merged, lr, seconds: (Date.now() - t0) / 1000};
	} finally {
		await swarm.close();
	}
}
