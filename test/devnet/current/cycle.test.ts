// A full training cycle of the current protocol on the real devnet (chain, store, orchestrator),
// driven by four signed CurrentClients: layer-0 samples, activations along the hash chain, weights
// through multipart uploads, the chunk plan, merged partitions, and the run's epoch moving on.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import type {CurrentClient} from '../../../source/orchestrator/current/client.js';
import {LayerStateError, CurrentProtocolError} from '../../../source/orchestrator/current/errors.js';
import {download, putPresigned} from '../../../source/orchestrator/transfer.js';
import {bytes, clientFor, register, realChain, startCurrentEnv, uploadBlob, type CurrentEnv} from './helpers.js';

let env: CurrentEnv;
/** by[L] = the clients on layer L, in registration order. */
const by: CurrentClient[][] = [[], [], []];
const h = (s: string) => s.repeat(64).slice(0, 64);
let first = '';

before(async () => {
	env = await startCurrentEnv({hotkeys: 4, chain: realChain(), settings: {upload_threshold: 1, merge_threshold: 1, partitions_threshold: 1, spot_check_rate: 1}});
});
after(() => env?.close());

const phases = async () => Promise.all(by.map(l => l[0]!.heartbeat().then(hb => hb.phase)));

test('four miners register through the queue and spread over the three layers', async () => {
	for (const pair of env.pairs) {
		const c = clientFor(env.devnet.orchestrator, pair);
		const r = await register(c);
		by[r.layer!]!.push(c);
		assert.equal(r.run_id, 'devnet-run');
		assert.equal(r.num_partitions, 2);
		assert.equal(r.current_epoch, 0);
	}
	assert.deepEqual(by.map(l => l.length), [2, 1, 1]);
	const hb = await by[1]![0]!.heartbeat('training');
	assert.deepEqual({...hb}, {run_id: 'devnet-run', layer: 1, epoch: 0, phase: 'training', status: 'active'});
	assert.equal(await by[2]![0]!.allLayersTraining(), true);
});

test('layer 0 gets downloadable sample texts of at least B*S bytes, with a spot-check upload URL; other layers get nothing', async () => {
	const [a] = by[0]!;
	const acts = await a!.getActivations(2);
	assert.equal(acts.length, 2);
	const s = env.devnet.settings;
	for (const act of acts) {
		assert.equal(act.direction, 'forward');
		const text = new TextDecoder().decode(await download(act.presigned_download_url!));
		assert.ok(Buffer.byteLength(text) >= s.mini_batch_size * s.sequence_length, `sample of ${text.length} bytes`);
		assert.match(text, /[a-z]+ [a-z]+/i);
		assert.equal(act.target_download_url, act.presigned_download_url);
		// spot_check_rate 1 here: every activation asks for its output bytes once.
		assert.equal(act.presigned_upload_url!.length, 1);
		assert.match(act.activation_upload_path!, new RegExp(`^spot-checks/devnet-run/${act.activation_id}/`));
	}
	first = acts[0]!.activation_id!;
	await putPresigned(acts[0]!.presigned_upload_url![0]!, bytes(256, 1));
	await a!.submitActivation({direction: 'forward', activation_id: first, activation_path: acts[0]!.activation_upload_path, input_activation_hash: h('0'), output_activation_hash: h('1')});
	assert.deepEqual(await by[1]![0]!.getActivations(), []);
	assert.deepEqual(await by[2]![0]!.getActivations(), []);
	// Hand-outs without a forward yet are capped at max_activation_cache_size + 1 (one is out already).
	assert.equal((await a!.getActivations(4)).length, s.max_activation_cache_size);
	assert.deepEqual(await a!.getActivations(4), []);
});

test('a full cycle: training -> weights_uploading -> merging_partitions -> training, epoch 0 -> 1', async () => {
	const [a, d] = by[0]! as [CurrentClient, CurrentClient];
	const b = by[1]![0]!;
	const c = by[2]![0]!;
	// Sample 1 down and back up the pipeline, hashes chained.
	await b.submitActivation({direction: 'forward', activation_id: first, input_activation_hash: h('1'), output_activation_hash: h('2')});
	await c.submitActivation({direction: 'backward', activation_id: first, input_activation_hash: h('2'), output_activation_hash: h('3')});
	await c.reportLoss({activation_id: first, loss: 5.5});
	await b.submitActivation({direction: 'backward', activation_id: first, input_activation_hash: h('3'), output_activation_hash: h('4')});
	await a.submitActivation({direction: 'backward', activation_id: first, input_activation_hash: h('4'), output_activation_hash: h('5')});
	assert.deepEqual(await phases(), ['training', 'training', 'training'], 'd has no backward yet (upload_threshold 1)');
	const [act] = await d.getActivations(1);
	await d.submitActivation({direction: 'forward', activation_id: act!.activation_id, output_activation_hash: h('6')});
	await d.submitActivation({direction: 'backward', activation_id: act!.activation_id, input_activation_hash: h('7'), output_activation_hash: h('8')});
	assert.deepEqual(await phases(), ['weights_uploading', 'weights_uploading', 'weights_uploading']);
	assert.equal(await a.allLayersTraining(), false);
	await assert.rejects(a.getActivations(), (e: unknown) => e instanceof LayerStateError && e.expected_status === 'training' && e.actual_status === 'weights_uploading');
	assert.deepEqual(env.devnet.server.state.work.mismatches(), [], 'the chain of sample 1 matched');

	// weights_uploading: each uploads a pseudo-gradient blob; the first of each layer also its optimizer state.
	const weights = new Map<CurrentClient, Uint8Array>();
	for (const [i, m] of [a, d, b, c].entries()) {
		assert.equal(await m.notifyStateCall(), 0);
		const blob = bytes(3000 + i, 10 + i);
		weights.set(m, blob);
		const path = await uploadBlob(m, 'weights', blob, m === a ? 3 : 1);
		const r = await m.submitWeights(path, null);
		assert.equal(r.should_upload_optimizer_state, m !== d, `${m === d ? 'd' : 'first of its layer'}`);
	}
	const opt = bytes(500, 3);
	await a.submitOptimizerState(await uploadBlob(a, 'optimizer_state', opt));
	await assert.rejects(d.submitOptimizerState(await uploadBlob(d, 'optimizer_state', opt)), (e: unknown) => e instanceof CurrentProtocolError && e.errorName === 'InvalidRequestError');
	assert.deepEqual(await phases(), ['merging_partitions', 'merging_partitions', 'merging_partitions']);

	// merging_partitions: every submitter's blob, and the chunk plan over the layer's submitters.
	const paths = await a.getWeightPathPerLayer();
	assert.equal(paths.length, 2);
	for (const p of paths) {
		assert.equal(p.layer, 0);
		assert.equal(p.weighting_factor, 1);
		const got = await download(p.weights_path_presigned);
		assert.ok([weights.get(a), weights.get(d)].some(w => Buffer.from(w!).equals(Buffer.from(got))), 'a submitted blob');
	}
	const planA = await a.getPartitions();
	const planD = await d.getPartitions();
	assert.deepEqual(planA.map(p => [p.chunk_number, p.other_miner_hotkey]), [[0, d.hotkey], [1, d.hotkey]]);
	assert.deepEqual(planD.map(p => [p.chunk_number, p.other_miner_hotkey]), [[0, a.hotkey], [1, a.hotkey]]);
	assert.deepEqual((await b.getPartitions()).map(p => [p.layer, p.chunk_number, p.miner_hotkey, p.other_miner_hotkey]), [[1, 0, b.hotkey, null], [1, 1, b.hotkey, null]]);
	assert.deepEqual(await a.getPreviousPartitions([0, 1]), [], 'nothing merged before epoch 0');

	const merged = new Map<string, Uint8Array>();
	const submit = async (m: CurrentClient, layer: number, chunk: number) => {
		const blob = bytes(400 + chunk, 40 + layer * 2 + chunk);
		merged.set(`${layer}/${chunk}`, blob);
		const path = await uploadBlob(m, 'partition', blob);
		await m.submitMergedPartitions([{layer, chunk_number: chunk, miner_hotkey: m.hotkey, blob_path: path, other_miner_hotkey: null}], null);
	};
	await submit(a, 0, 0);
	assert.deepEqual(await phases(), ['merging_partitions', 'merging_partitions', 'merging_partitions'], 'one chunk of two (partitions_threshold 1)');
	await submit(d, 0, 1);
	assert.deepEqual(await phases(), ['training', 'merging_partitions', 'merging_partitions']);
	assert.equal((await a.getRunEpoch('devnet-run')).epoch, 0, 'the epoch moves when every layer is back');
	await submit(b, 1, 0);
	await submit(b, 1, 1);
	await submit(c, 2, 0);
	await submit(c, 2, 1);
	assert.deepEqual(await phases(), ['training', 'training', 'training']);
	assert.equal((await a.getRunEpoch('devnet-run')).epoch, 1);
	assert.equal((await c.heartbeat()).epoch, 1);

	// Training again: the layer's weights are the merged partitions; the optimizer state is there for newcomers.
	const current = await d.getMergedPartitions();
	assert.deepEqual(current.map(p => [p.layer, p.chunk_number]), [[0, 0], [0, 1]]);
	for (const p of current) assert.ok(Buffer.from(await download(p.blob_path!)).equals(Buffer.from(merged.get(`0/${p.chunk_number}`)!)));
	assert.deepEqual((await b.getPreviousPartitions([1])).map(p => [p.layer, p.chunk_number, p.miner_hotkey]), [[1, 1, b.hotkey]]);
	const os = await d.getLayerOptimizerState();
	assert.equal(os.available, true);
	assert.ok(Buffer.from(await download(os.optimizer_state_url!)).equals(Buffer.from(opt)));
	const row = env.devnet.server.state.miner(a.hotkey)!;
	assert.deepEqual([row.forwards, row.total_backwards, row.backwards_since_reset, row.weights_submitted, row.partitions_merged], [1, 1, 0, 1, 1]);
	// a still holds three samples handed before the merge, never forwarded: the merge cleared its cache, so
	// they no longer count against it (they used to starve layer 0 until activation_timeout_s).
	assert.equal((await a.getActivations(2)).length, 2, 'samples handed out again after the merge');
});

test('hash chain: an input that is not what the producer reported is recorded against both miners, in either order', async () => {
	const a = by[0]![1]!; // the other layer-0 miner still has room for hand-outs
	const b = by[1]![0]!;
	const c = by[2]![0]!;
	const [x, y] = await a.getActivations(2);
	// Producer first: a says it sent h('a'), b says it got h('b').
	await a.submitActivation({direction: 'forward', activation_id: x!.activation_id, input_activation_hash: h('0'), output_activation_hash: h('a')});
	const reply = await b.submitActivation({direction: 'forward', activation_id: x!.activation_id, input_activation_hash: h('b'), output_activation_hash: h('c')});
	assert.deepEqual(reply, {message: 'Activation submitted', hash_mismatches: 1});
	// Consumer first: c reports the gradient input for y before b reports its forward output.
	await c.submitActivation({direction: 'backward', activation_id: y!.activation_id, input_activation_hash: h('e'), output_activation_hash: h('f')});
	await b.submitActivation({direction: 'forward', activation_id: y!.activation_id, input_activation_hash: null, output_activation_hash: h('d')});
	const st = env.devnet.server.state;
	const rows = st.work.mismatches(b.hotkey);
	assert.equal(rows.length, 2);
	assert.deepEqual(
		rows.map(r => [r.producer, r.producer_layer, r.producer_direction, r.consumer, r.consumer_layer, r.consumer_direction, r.produced[0], r.consumed[0]]),
		[
			[b.hotkey, 1, 'forward', c.hotkey, 2, 'backward', 'd', 'e'],
			[a.hotkey, 0, 'forward', b.hotkey, 1, 'forward', 'a', 'b'],
		],
	);
	assert.deepEqual([a, b, c].map(m => st.miner(m.hotkey)!.hash_mismatches), [1, 2, 1]);
	// The same step twice, or a made-up activation, is refused.
	await assert.rejects(b.submitActivation({direction: 'forward', activation_id: x!.activation_id}), /already submitted/);
	await assert.rejects(b.submitActivation({direction: 'forward', activation_id: 'made-up'}), /unknown activation_id/);
});

test('report_loss: the last layer only, once per activation', async () => {
	const a = by[0]![1];
	const c = by[2]![0]!;
	const [act] = await a!.getActivations(1);
	await c.reportLoss({activation_id: act!.activation_id!, loss: 3.25, layer_idx: 2});
	await assert.rejects(c.reportLoss({activation_id: act!.activation_id!, loss: 3.25}), /already reported/);
	await assert.rejects(a!.reportLoss({activation_id: act!.activation_id!, loss: 1}), /only the last layer/);
	assert.equal(env.devnet.server.state.miner(c.hotkey)!.last_loss, 3.25);
});

test('a restart of the orchestrator keeps miners, phases, the epoch and the merged partitions', async () => {
	const d = by[0]![1]!;
	const before = await d.getMergedPartitions();
	await env.devnet.restartOrchestrator();
	assert.deepEqual(await d.heartbeat(), {run_id: 'devnet-run', layer: 0, epoch: 1, phase: 'training', status: 'active'});
	assert.deepEqual((await d.getMergedPartitions()).map(p => [p.chunk_number, p.miner_hotkey]), before.map(p => [p.chunk_number, p.miner_hotkey]));
	assert.equal(env.devnet.server.state.work.mismatches().length, 2);
	assert.equal((await d.getActivations(1)).length, 1, 'samples are served again');
});
