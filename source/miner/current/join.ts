// Joining a run of the current protocol: start the P2P endpoint (its node id goes into the registration),
// register through the queue, check the run's model against --model, publish ourselves in the peer registry.
import {UserError} from '../../errors.js';
import {registerMiner} from '../../orchestrator/current/registration.js';
import {SPEC_VERSION} from '../../orchestrator/current/signing.js';
import {P2PTransport} from '../../p2p/transport.js';
import type {PublicModel} from '../../training/llama3/config.js';
import {llamaModelFor} from '../../training/llama3/from-model-config.js';
import type {Registration, RunSettings} from '../protocol.js';
import {batchShape, type CurrentLink} from './link.js';
import {PeerRegistry} from './peers.js';
import {wireP2P} from './inbox.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** IOTA's MODEL_SPLITS form: [start, end] per stage, -1 where the stage is open-ended. */
const modelSplits = (m: PublicModel): [number, number][] => m.splits.map(s => [s.start === 0 ? -1 : s.start, s.end === m.cfg.n_layers ? -1 : s.end]);

export const isDevnet = (link: CurrentLink) => link.o.devnetOnly ?? LOOPBACK.has(new URL(link.o.url).hostname);

/** The registry: a given bridge URL, else the devnet orchestrator's own /bridge (the real one is elsewhere). */
function bridgeUrl(link: CurrentLink): string {
	if (link.o.bridgeUrl) return link.o.bridgeUrl;
	if (!isDevnet(link)) throw new UserError('the current protocol needs the bridge peer registry, and only the devnet serves it at the orchestrator: no bridge URL is known for this network');
	return `${link.o.url.replace(/\/+$/, '')}/bridge`;
}

async function startP2P(link: CurrentLink): Promise<P2PTransport> {
	if (link.p2p) return link.p2p;
	const {host, o} = link;
	const loopback = isDevnet(link);
	host.waiting('the P2P endpoint');
	// A loopback orchestrator is a devnet: peers are on this machine, no relays.
	const p2p = await P2PTransport.start({
		hotkey: host.hotkey,
		bindAddr: o.p2p?.bindAddr ?? (loopback ? '127.0.0.1:0' : undefined),
		relay: o.p2p?.relay ?? (loopback ? {mode: 'disabled'} : {mode: 'default'}),
	});
	if (host.stopSignal.aborted) {
		await p2p.close();
		throw new UserError('stopped');
	}
	link.p2p = p2p;
	wireP2P(link, p2p);
	host.log('info', `P2P node ${p2p.nodeId.slice(0, 16)}… at ${(p2p.addr().directAddresses ?? []).join(', ') || 'relay only'}`);
	return p2p;
}

export async function register(link: CurrentLink): Promise<Registration> {
	const {host, o} = link;
	const p2p = await startP2P(link);
	host.waiting(`registration with the orchestrator at ${o.url} (queue)`);
	const run = await registerMiner({
		client: link.client,
		p2pNodeId: p2p.nodeId,
		signal: host.stopSignal,
		log: line => host.log('info', line),
		errorRetryMs: Math.min(10_000, (o.backoffMs ?? 1000) * 10),
		runFullRetryMs: 60_000,
	});
	host.heartbeat();
	link.run = run;
	host.dispatch({type: 'run', protocol: 'current', runId: run.run_id});
	if (!link.peers) {
		link.peers = new PeerRegistry({url: bridgeUrl(link), runId: run.run_id, hotkey: host.hotkey, layer: run.layer, self: () => p2p.addr(), signal: host.stopSignal, log: host.log});
		await link.peers.start();
	} else await link.peers.setLayer(run.layer);
	return {layer: run.layer, version: `spec ${SPEC_VERSION}`};
}

/** The run's model against --model, in one line: a mismatch cannot train. */
function checkModel(link: CurrentLink): void {
	const cfg = link.run!.model_cfg;
	const meta = link.run!.model_metadata;
	const mine = llamaModelFor(link.o.model);
	const c = mine.cfg;
	const shape = (x: {emb_dim?: number | null; n_layers?: number | null; vocab_size?: number | null; bottleneck_dim?: number | null; n_heads?: number | null; n_kv_groups?: number | null; hidden_dim?: number | null}) =>
		`emb ${x.emb_dim}, ${x.n_layers} layers, vocab ${x.vocab_size}, bottleneck ${x.bottleneck_dim}, heads ${x.n_heads}/${x.n_kv_groups}, hidden ${x.hidden_dim}`;
	const splits = JSON.stringify(modelSplits(mine));
	const theirSplits = meta.model_splits ? JSON.stringify(meta.model_splits) : splits;
	if (shape(cfg) !== shape(c) || splits !== theirSplits || (meta.n_splits ?? mine.splits.length) !== mine.splits.length) {
		throw new UserError(`the run trains ${cfg.model_name ?? meta.model_size ?? '?'} (${shape(cfg)}; splits ${theirSplits}) but --model ${link.o.model.name} is ${shape(c)}; splits ${splits}: pick the run's model`);
	}
	const tok = meta.tokenizer_name;
	if (tok && tok !== link.o.tokenizer.name) {
		if (link.o.tokenizer.name === 'bytes') throw new UserError(`the run tokenizes with ${tok}: pass its tokenizer.json with --tokenizer`);
		link.host.log('warn', `the run names tokenizer ${tok}; using ${link.o.tokenizer.name}`);
	}
}

export function settings(link: CurrentLink): RunSettings {
	const run = link.run;
	if (!run) throw new UserError('settings asked before registration');
	// Here, not in register(): a registration error is retried, a settings error stops the miner.
	checkModel(link);
	const meta = run.model_metadata;
	const layers = meta.n_splits ?? meta.model_splits?.length ?? link.o.model.splits.length;
	const batch = batchShape(link);
	const accumulation = meta.mini_batch_accumulation_count ?? 4;
	return {
		layers,
		batchesBeforeMerging: accumulation,
		// Not published by the server; its waits are bounded by this plus a minute.
		phaseTimeoutS: 1800,
		batch,
		useAdamW: run.run_flags.use_AdamW.enabled,
		headSamples: 'orchestrator',
		display: {
			layers,
			batchesBeforeMerging: accumulation,
			run_id: run.run_id,
			model: run.model_cfg.model_name ?? meta.model_size ?? null,
			tokenizer: meta.tokenizer_name ?? null,
			batch_size: batch.size,
			sequence_length: batch.seqLen,
			num_partitions: run.num_partitions,
			epoch: run.current_epoch,
		},
	};
}
