// IOTA's current protocol (spec 30017) as a MinerProtocol: queued registration with a P2P node id, phases
// from the heartbeat, activations pushed peer to peer (BLAKE3-hashed, submitted to the orchestrator), the
// bridge peer registry, and DiLoCo merging (pseudo-gradients, outer Nesterov step) through merge.ts.
import {UserError, errorMessage} from '../../errors.js';
import {CurrentProtocolError, CurrentRequestError, EntityNotRegisteredError, MinerFrozenError, MinerInitializingError, LayerStateError, SpecVersionError} from '../../orchestrator/current/errors.js';
import type {Fault, MinerProtocol, ProtocolHost} from '../protocol.js';
import {deliver} from './deliver.js';
import {register, settings} from './join.js';
import {layerEpoch, mergedLayer, mergeRound, submitWeights} from './merge.js';
import {openLink, type CurrentLink, type CurrentOptions} from './link.js';
import {devnetScore} from './score.js';
import {heartbeat, nextWork} from './work.js';

export type {CurrentOptions} from './link.js';

/** The constant inner learning rate of IOTA's current miners (training.py passes LEARNING_RATE). */
export const DEFAULT_LR = 2e-4;

export function createCurrentProtocol(host: ProtocolHost, o: CurrentOptions): MinerProtocol {
	const link = openLink(host, o);
	const {client} = link;
	return {
		url: o.url,
		register: () => register(link),
		isRegistered: async () => {
			try {
				await heartbeat(link);
				return true;
			} catch (error) {
				if (error instanceof EntityNotRegisteredError) return false;
				throw error;
			}
		},
		healthcheck: async () => {
			await client.healthcheck();
			host.heartbeat();
		},
		clockSkewMs: () => client.transport.clock.ms,
		settings: async () => settings(link),
		// The current protocol publishes no per-miner score; the devnet does (its validator's).
		score: () => devnetScore(link),
		fault,
		phase: async () => ({phase: (await heartbeat(link)).phase, sections: link.run?.num_partitions ?? 1}),
		epoch: () => layerEpoch(link),
		nextWork: () => nextWork(link),
		deliver: out => deliver(link, out),
		reportLoss: (id, loss) => reportLoss(link, id, loss),
		learningRate: async () => link.run?.model_metadata.opt?.learning_rate ?? DEFAULT_LR,
		submitWeights: s => submitWeights(link, s),
		mergeRound: () => mergeRound(link),
		mergedLayer: async () => (link.run ? mergedLayer(link) : null),
		runUpload: async job => {
			throw new Error(`the current adapter queues no uploads (job ${job.key})`);
		},
		close: () => close(link),
	};
}

async function reportLoss(link: CurrentLink, id: string, loss: number): Promise<void> {
	try {
		await link.client.reportLoss({activation_id: id, loss, layer_idx: link.host.layer});
		link.host.heartbeat();
	} catch (error) {
		if (!(error instanceof LayerStateError)) link.host.log('warn', `loss not reported: ${errorMessage(error)}`);
	}
}

function fault(error: unknown): Fault | null {
	// Ours, about the setup (no bridge for this network, a wrong model): registration stops on it, not retried.
	if (error instanceof UserError) return {kind: 'rejected', detail: error.message};
	if (error instanceof SpecVersionError) return {kind: 'version', detail: error.message};
	if (error instanceof EntityNotRegisteredError) return {kind: 'unregistered', detail: error.message};
	// Frozen or initializing: the orchestrator asks for about a minute's patience.
	if (error instanceof MinerFrozenError || error instanceof MinerInitializingError) return {kind: 'rate_limited', detail: error.message};
	if (error instanceof CurrentProtocolError) return {kind: 'rejected', detail: error.message};
	if (!(error instanceof CurrentRequestError)) return null;
	if (error.status === 429) return {kind: 'rate_limited', detail: error.message};
	return {kind: error.status === 0 || error.status >= 500 ? 'unreachable' : 'rejected', detail: error.message};
}

/** Timers, background sends, the registry and the P2P endpoint's child process. */
async function close(link: CurrentLink): Promise<void> {
	for (const t of link.timers) clearInterval(t);
	link.peers?.close();
	await Promise.race([Promise.allSettled([...link.sends]), new Promise(r => setTimeout(r, 500).unref())]);
	await link.p2p?.close();
}
