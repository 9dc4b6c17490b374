// The IOTA v1 protocol (spec 4065) as a MinerProtocol: register_miner, random activations through
// presigned S3 objects, is_merging phases, and weights + optimizer state averaged by sections.
import {errorMessage} from '../../errors.js';
import {OrchestratorError, VersionMismatchError, WrongPhaseError} from '../../orchestrator/client.js';
import type {ActivationResponse} from '../../orchestrator/schemas.js';
import {download} from '../../orchestrator/transfer.js';
import {isUuid} from '../guards.js';
import type {Fault, MinerProtocol, ProtocolHost, RunSettings, Work} from '../protocol.js';
import {openLink, type V1Link, type V1Options} from './link.js';
import {mergedLayer, mergeRound} from './merge.js';
import {deliver, runUpload, submitWeights} from './uploads.js';

export type {V1Options} from './link.js';

export function createV1Protocol(host: ProtocolHost, o: V1Options): MinerProtocol {
	const link = openLink(host, o);
	const {client} = link;
	return {
		url: client.url,
		register: async () => {
			const r = await client.register();
			host.heartbeat();
			host.dispatch({type: 'run', protocol: 'v1', runId: null});
			return {layer: r.layer, version: r.version};
		},
		isRegistered: () => client.isRegistered(),
		healthcheck: async () => {
			await client.healthcheck();
			host.heartbeat();
		},
		clockSkewMs: () => client.clock.ms,
		settings: () => settings(link),
		score: async () => {
			const {score} = await client.minerDetail();
			host.heartbeat();
			return score;
		},
		fault,
		phase: async layer => {
			const r = await client.isMerging(layer);
			host.heartbeat();
			return {phase: r.status, sections: r.num_sections};
		},
		epoch: async layer => (await client.globalMinerWeights()).layers.find(l => l.layer === layer)?.epoch ?? 0,
		nextWork: () => nextWork(link),
		deliver: out => deliver(link, out),
		reportLoss: async (id, loss) => {
			try {
				await client.reportLoss(id, loss);
				host.heartbeat();
			} catch (error) {
				if (!(error instanceof WrongPhaseError)) host.log('warn', `loss not reported: ${errorMessage(error)}`);
			}
		},
		learningRate: () => client.learningRate(),
		submitWeights: s => submitWeights(link, s),
		mergeRound: p => mergeRound(link, p),
		mergedLayer: layer => mergedLayer(link, layer),
		runUpload: job => runUpload(link, job),
	};
}

async function settings(link: V1Link): Promise<RunSettings> {
	const s = await link.client.settings();
	link.allowHosts.push(...(s.store_hosts ?? []));
	return {layers: s.layers, batchesBeforeMerging: s.batches_before_merging, phaseTimeoutS: s.phase_timeout_s, display: {...s, batchesBeforeMerging: s.batches_before_merging, layers: s.layers}};
}

function fault(error: unknown): Fault | null {
	if (!(error instanceof OrchestratorError)) return null;
	const {status, detail} = error;
	if (error instanceof VersionMismatchError) return {kind: 'version', detail};
	if (status === 404) return {kind: 'unregistered', detail};
	if (status === 403) return {kind: 'not_in_metagraph', detail};
	if (status === 429) return {kind: 'rate_limited', detail};
	return {kind: status === 0 || status >= 500 ? 'unreachable' : 'rejected', detail};
}

async function nextWork(link: V1Link): Promise<Work> {
	const {host} = link;
	host.waiting('work (random activation)');
	let a: ActivationResponse;
	try {
		a = await link.client.randomActivation();
		host.heartbeat();
	} catch (error) {
		if (error instanceof WrongPhaseError) return {kind: 'merge'};
		throw error;
	}
	// v1 took any answer, 'not training' included, as the layer training.
	const phase = 'is_training';
	if (a.direction !== null) {
		if (!isUuid(a.activation_uid) || !a.activation_path) {
			host.log('warn', `work with activation uid "${String(a.activation_uid).slice(0, 40)}" ${a.activation_path ? '' : 'and no path '}is not usable: skipped`);
			return {kind: 'unusable', phase};
		}
		if (a.direction === 'initial') return {kind: 'unusable', phase};
	}
	const fetch = (path: string) => (maxBytes: number) => download(path, undefined, link.xfer(maxBytes));
	const id = a.activation_uid!;
	if (a.direction === 'backward') return {kind: 'backward', id, input: fetch(a.activation_path!), phase};
	if (a.direction === 'forward') return {kind: 'forward', id, input: fetch(a.activation_path!), targets: a.initial_activation_path ? fetch(a.initial_activation_path) : undefined, phase};
	if (a.reason === 'not training') return {kind: 'merge', phase};
	return {kind: 'idle', cacheFull: a.reason === 'out_of_cache', phase};
}
