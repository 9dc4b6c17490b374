// Delivering outputs in the current protocol: cache the torch.save bytes for pulls (BLAKE3), push them to a
// peer (forward: a training miner of layer+1; backward: the forward's producer), then submit_activation with
// the hashes. Sends run in the background, at most MAX_SENDS at once, so the worker keeps computing.
import {errorMessage} from '../../errors.js';
import {LayerStateError} from '../../orchestrator/current/errors.js';
import type {CurrentClient} from '../../orchestrator/current/client.js';
import {putPresigned} from '../../orchestrator/transfer.js';
import {trackUpload} from './upload-track.js';
import {abortableSleep} from '../../orchestrator/sleep.js';
import {P2PStatus, statusName} from '../../p2p/status.js';
import type {Output} from '../protocol.js';
import {isTraining} from './inbox.js';
import type {ActivationRecord} from './ledger.js';
import type {CurrentLink} from './link.js';
import type {PeerEntry} from './peers.js';

const MAX_SENDS = 4;
/** IOTA's sender: 5 tries on random targets within 30 minutes. */
const PUSH_TRIES = 5;
const PUSH_DEADLINE_MS = 30 * 60_000;
const NO_PEER_WAIT_MS = 2000;

export async function deliver(link: CurrentLink, out: Output): Promise<void> {
	const {host, ledger} = link;
	const r = ledger.get(out.id);
	if (!r) {
		host.stats.stale++;
		host.log('warn', `${out.direction} of ${out.id.slice(0, 8)} finished after its activation was dropped (merge or timeout)`);
		return;
	}
	if (out.direction === 'forward') {
		const hash = await link.p2p!.cache.put(out.id, out.body);
		r.awaitingBackward = true;
		r.at = Date.now();
		await background(link, () => sendForward(link, r, out.body, hash));
		return;
	}
	ledger.delete(out.id);
	// Layer 0 has no input gradient to send. IOTA's head submits the first B*S*bdim values of tok_emb.weight.grad
	// to the orchestrator instead (training.py); that upload is not done here: only the hashes are submitted.
	if (host.layer === 0) {
		await background(link, () => submit(link, {direction: 'backward', activation_id: out.id, input_activation_hash: r.backwardInput ?? null, output_activation_hash: null}));
		return;
	}
	const hash = await link.p2p!.cache.put(`${out.id}:backward`, out.body);
	// The last layer's backward consumed the forward it was pushed; a middle layer's, the gradient from above.
	const input = r.backwardInput ?? r.forwardInput ?? null;
	await background(link, async () => {
		if (!(await push(link, r, 'backward', out.body, () => gradientTargets(link, r)))) return;
		await submit(link, {direction: 'backward', activation_id: out.id, input_activation_hash: input, output_activation_hash: hash});
	});
}

async function sendForward(link: CurrentLink, r: ActivationRecord, body: Uint8Array, hash: string): Promise<void> {
	let path: string | null = null;
	if (r.spot) {
		// A spot check: the orchestrator wants these exact bytes once, under the path it named.
		try {
			const spot = r.spot;
			await trackUpload(item => link.host.dispatch({type: 'upload', item}), 'activation', spot.path, body.length, () => putPresigned(spot.url, body, {...link.xfer(body.length), attempts: 2}));
			path = r.spot.path;
		} catch (error) {
			link.host.log('warn', `spot-check upload of ${r.id.slice(0, 8)} failed: ${errorMessage(error)}`);
		}
	}
	if (!(await push(link, r, 'forward', body, () => forwardTargets(link)))) {
		r.awaitingBackward = false;
		link.ledger.delete(r.id);
		return;
	}
	await submit(link, {direction: 'forward', activation_id: r.id, input_activation_hash: r.forwardInput ?? null, output_activation_hash: hash, activation_path: path});
}

/** Runs `task` in the background; waits while MAX_SENDS are already running (backpressure on the worker). */
async function background(link: CurrentLink, task: () => Promise<void>): Promise<void> {
	const p: Promise<void> = task()
		.catch(error => {
			if (!link.host.stopSignal.aborted) link.host.log('warn', `send failed: ${errorMessage(error)}`);
		})
		.finally(() => link.sends.delete(p));
	link.sends.add(p);
	while (link.sends.size >= MAX_SENDS && !link.host.stopSignal.aborted) await Promise.race(link.sends);
}

const forwardTargets = (link: CurrentLink): PeerEntry[] => (link.peers?.inLayer(link.host.layer + 1) ?? []).filter(p => isTraining(link, p.nodeId));

/** The forward's producer, by the node ids its push named (addresses from the registry). */
const gradientTargets = (link: CurrentLink, r: ActivationRecord): PeerEntry[] =>
	r.sourceNodeIds.map(id => link.peers?.byNodeId(id)).filter((p): p is PeerEntry => p !== undefined);

/** Pushes to a random target, another one after a refusal; true once a peer took it. */
async function push(link: CurrentLink, r: ActivationRecord, direction: 'forward' | 'backward', body: Uint8Array, targets: () => PeerEntry[]): Promise<boolean> {
	const {host} = link;
	const p2p = link.p2p!;
	const layer = host.layer;
	const deadline = Date.now() + PUSH_DEADLINE_MS;
	const tried = new Set<string>();
	let last = 'no peer';
	for (let tries = 0; tries < PUSH_TRIES && Date.now() < deadline; ) {
		let candidates = targets().filter(p => !tried.has(p.nodeId));
		if (candidates.length === 0 && tried.size > 0) {
			tried.clear();
			candidates = targets();
		}
		if (candidates.length === 0) {
			host.waiting(`a ${direction === 'forward' ? `training peer on layer ${layer + 1}` : 'the producer of the activation'} in the peer registry`);
			await abortableSleep(NO_PEER_WAIT_MS, host.stopSignal, () => new Error('stopped'));
			continue;
		}
		const peer = candidates[Math.floor(Math.random() * candidates.length)]!;
		const res = await p2p.push(peer.addr, {
			activationId: r.id,
			direction,
			sourceHotkey: host.hotkey,
			sourceP2pNodeIds: [p2p.nodeId],
			tensorBytes: body,
			samplePath: r.samplePath,
			sourceLayer: layer,
			targetLayer: direction === 'forward' ? layer + 1 : layer - 1,
		});
		if (res.status === P2PStatus.SUCCESS) {
			host.stats.activationsUploaded++;
			return true;
		}
		tries++;
		tried.add(peer.nodeId);
		last = res.error ?? statusName(res.status);
		await abortableSleep(250 * tries, host.stopSignal, () => new Error('stopped'));
	}
	host.stats.stale++;
	host.log('warn', `${direction} of ${r.id.slice(0, 8)} not delivered to layer ${direction === 'forward' ? layer + 1 : layer - 1} (${last})`);
	return false;
}

/** submit_activation; a layer that left training makes the activation stale, as in IOTA. */
async function submit(link: CurrentLink, body: Parameters<CurrentClient['submitActivation']>[0]): Promise<void> {
	const {host} = link;
	try {
		const reply = (await link.client.submitActivation(body)) as {hash_mismatches?: number} | null;
		host.heartbeat();
		host.stats.published++;
		host.dispatch({type: 'published', key: `${body.direction}/${body.activation_id}`, activationUid: body.activation_id!, at: Date.now()});
		if (reply?.hash_mismatches) host.log('warn', `activation ${body.activation_id!.slice(0, 8)}: the orchestrator found ${reply.hash_mismatches} hash mismatch(es) along its chain`);
	} catch (error) {
		if (!(error instanceof LayerStateError)) throw error;
		host.stats.stale++;
		host.log('warn', `${body.direction} of ${body.activation_id!.slice(0, 8)} not submitted: layer ${error.layer} is in ${error.actual_status}`);
	}
}
