// The current protocol's merge path (source/miner/current/diloco-merge.ts) against the real devnet current
// orchestrator and store: seven miners over three layers with random bf16 weights submit pseudo-gradients, merge
// their assigned chunks and pull the merged layer, twice; the result must be what training/diloco computes directly.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import type {CurrentClient} from '../../source/orchestrator/current/client.js';
import {download, TransferRefused, type TransferOptions} from '../../source/orchestrator/transfer.js';
import {storeFetch, uploadBlob} from '../../source/miner/current/blob-transfer.js';
import {dilocoFlags, mergePartitions, pullMergedWeights, submitPseudoGradient, type DilocoIo, type MergeOutcome} from '../../source/miner/current/diloco-merge.js';
import {Presigner} from '../../source/storage/presign.js';
import {makeS3Client} from '../../source/storage/s3.js';
import {buildWeightsBlob} from '../../source/training/blob.js';
import {bf16Bits, chunkRange, mergeChunk, preparePseudoGradient, sliceChunk} from '../../source/training/diloco/index.js';
import {clientFor, register, realChain, startCurrentEnv, type CurrentEnv} from '../devnet/current/helpers.js';

const PARTS = 3;
/** Values per layer: none a multiple of PARTS, so the last chunk takes a remainder. */
const SIZES = [1001, 640, 517];
const LOCAL_STEPS = 7;

type Miner = {name: string; c: CurrentClient; io: DilocoIo; layer: number; logs: string[]; optimizerState: Uint16Array};

let env: CurrentEnv;
let xfer: TransferOptions;
const miners: Miner[] = [];
const byLayer: Miner[][] = [[], [], []];
/** The layers' weights at the start of the epoch (all miners of a layer share them). */
const snapshot: Uint16Array[] = [];
/** The outer momentum each chunk's promoted partition carries, per layer. */
const momentum: Array<Array<Uint16Array | null>> = SIZES.map(() => Array.from({length: PARTS}, () => null));

let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
const randomBf16 = (n: number, scale: number) => Uint16Array.from({length: n}, () => bf16Bits(Math.fround((rand() * 2 - 1) * scale)));
const nudged = (v: Uint16Array) => {
	const f = new Float32Array(new Uint32Array(Array.from(v, b => b << 16)).buffer);
	return Uint16Array.from(f, x => bf16Bits(Math.fround(x + (rand() * 2 - 1) * 0.01)));
};
const same = (a: Uint16Array, b: Uint16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

before(async () => {
	env = await startCurrentEnv({
		hotkeys: 7,
		chain: realChain(),
		settings: {num_partitions: PARTS, upload_threshold: 1, merge_threshold: 1, partitions_threshold: 1, run_flags: {upload_optimizer_state: {enabled: true}}},
	});
	xfer = {allowHosts: [new URL(env.devnet.store).hostname], attempts: 2, backoffMs: 10};
});
after(() => env?.close());

const names = [['a0', 'b0', 'c0'], ['a1', 'b1'], ['a2', 'b2']];

test('seven miners register: three on layer 0, two on layers 1 and 2', async () => {
	for (const pair of env.pairs) {
		const c = clientFor(env.devnet.orchestrator, pair);
		const r = await register(c);
		const layer = r.layer!;
		const logs: string[] = [];
		const io: DilocoIo = {client: c, xfer, log: (level, text) => logs.push(`${level}: ${text}`), layer, numPartitions: r.num_partitions!, flags: dilocoFlags(r.run_flags!), upload: {partBytes: 1000}};
		const m: Miner = {name: names[layer]![byLayer[layer]!.length]!, c, io, layer, logs, optimizerState: randomBf16(2 * SIZES[layer]! + 1, 1)};
		byLayer[layer]!.push(m);
		miners.push(m);
	}
	assert.deepEqual(byLayer.map(l => l.length), [3, 2, 2]);
	assert.equal(miners[0]!.io.numPartitions, PARTS);
	assert.deepEqual(miners[0]!.io.flags, {weighted: true, enforceMinSteps: false, uploadOptimizerState: true, attest: false});
	for (const [l, n] of SIZES.entries()) snapshot[l] = randomBf16(n, 0.5);
});

test('uploadBlob: parts of the orchestrator-named object go up in parallel and read back whole; storeFetch refuses other hosts', async () => {
	const c = miners[0]!.c;
	const data = Uint8Array.from({length: 3500}, (_, i) => (i * 7) % 251);
	const path = await uploadBlob(c, 'optimizer_state', data, xfer, {partBytes: 1000, parallel: 2});
	assert.match(path, new RegExp(`^optimizer_state/devnet-run/${c.hotkey}/0/`));
	const {objectStore: st} = env.devnet;
	const presigner = new Presigner(makeS3Client({endpoint: st.url, bucket: st.bucket, accessKeyId: st.accessKeyId, secretAccessKey: st.secretAccessKey}), st.bucket);
	const url = await presigner.getUrl(path, 600);
	assert.ok(Buffer.from(await download(url, undefined, xfer)).equals(Buffer.from(data)));
	await assert.rejects(storeFetch({allowHosts: ['store.example']})(url, {headers: {}}), (e: unknown) => e instanceof TransferRefused);
	await assert.rejects(uploadBlob(c, 'weights', new Uint8Array(0), xfer), /empty weights blob/);
});

/** One sample down and back up: l0 forward, l1 forward, l2 backward, l1 backward, l0 backward. */
async function sample(l0: Miner, l1: Miner, l2: Miner): Promise<void> {
	const [act] = await l0.c.getActivations(1);
	const id = act!.activation_id!;
	await l0.c.submitActivation({direction: 'forward', activation_id: id});
	await l1.c.submitActivation({direction: 'forward', activation_id: id});
	await l2.c.submitActivation({direction: 'backward', activation_id: id});
	await l1.c.submitActivation({direction: 'backward', activation_id: id});
	await l0.c.submitActivation({direction: 'backward', activation_id: id});
}

async function waitPhase(phase: string): Promise<void> {
	const deadline = Date.now() + 20_000;
	for (;;) {
		const phases = await Promise.all(byLayer.map(l => l[0]!.c.heartbeat().then(h => h.phase)));
		if (phases.every(p => p === phase)) return;
		if (Date.now() > deadline) assert.fail(`layers are ${phases.join(', ')}, waited for ${phase}`);
		await new Promise(r => setTimeout(r, 100));
	}
}

async function cycle(epoch: number): Promise<void> {
	const [a0, b0, c0] = byLayer[0]! as [Miner, Miner, Miner];
	const [a1, b1] = byLayer[1]! as [Miner, Miner];
	const [a2, b2] = byLayer[2]! as [Miner, Miner];
	// Backwards per miner = its weighting factor: a0 2, b0 1, c0 1, a1 1, b1 3, a2 3, b2 1. The last one completes the quorum.
	const weight = new Map<Miner, number>([[a0, 2], [b0, 1], [c0, 1], [a1, 1], [b1, 3], [a2, 3], [b2, 1]]);
	await sample(a0, a1, a2);
	await sample(a0, b1, a2);
	await sample(c0, b1, a2);
	await sample(b0, b1, b2);
	await waitPhase('weights_uploading');

	// Each miner trained away from the snapshot; c0 uploads a blob whose trailer is garbage.
	const current = new Map<Miner, Uint16Array>(miners.map(m => [m, nudged(snapshot[m.layer]!)]));
	const optimizerUploader: Miner[] = [];
	for (const m of miners) {
		if (m === c0) {
			const bytes = buildWeightsBlob(preparePseudoGradient(snapshot[0]!, current.get(m)!), PARTS, LOCAL_STEPS).bytes;
			bytes[bytes.length - 1] = 0x78;
			const r = await m.c.submitWeights(await uploadBlob(m.c, 'weights', bytes, xfer), null);
			assert.equal(r.should_upload_optimizer_state, false);
			continue;
		}
		const r = await submitPseudoGradient(m.io, {snapshot: snapshot[m.layer]!, current: current.get(m)!, localSteps: LOCAL_STEPS, optimizerState: async () => m.optimizerState});
		assert.equal(r.message, 'Weights submitted');
		if (r.optimizerStatePath) optimizerUploader[m.layer] = m;
	}
	assert.deepEqual(optimizerUploader, [a0, a1, a2], 'the first submitter of each layer uploads the optimizer state');
	await waitPhase('merging_partitions');

	// Everyone merges at once; whoever comes after a layer has all its chunks is told it is not needed.
	const outcomes = await Promise.all(miners.map(m => mergePartitions(m.io, {snapshot: snapshot[m.layer]!, epoch})));
	const outcome = new Map<Miner, MergeOutcome>(miners.map((m, i) => [m, outcomes[i]!]));
	for (const [l, layer] of byLayer.entries()) {
		const merged = new Set(layer.flatMap(m => (outcome.get(m)!.published ? outcome.get(m)!.merged.map(x => x.chunk) : [])));
		assert.deepEqual([...merged].sort(), [0, 1, 2], `layer ${l}: every chunk merged and published`);
		for (const m of layer) {
			const o = outcome.get(m)!;
			assert.deepEqual(o.skipped, [], `${m.name}: no chunk skipped`);
			if (o.assigned.length === 0) continue;
			assert.equal(o.merged.length, o.assigned.length, `${m.name} merged all it was assigned`);
			for (const x of o.merged) assert.equal(x.sources, 2);
			if (l === 0) {
				assert.equal(o.droppedSources.length, 1, 'the corrupted blob is left out');
				assert.match(o.droppedSources[0]!.reason, /trailer not fetched: bad blob: trailer is not valid UTF-8 JSON/);
			} else assert.deepEqual(o.droppedSources, []);
		}
	}
	await waitPhase('training');
	assert.equal((await a0.c.getRunEpoch('devnet-run')).epoch, epoch + 1, 'the epoch moved on');

	// What training/diloco computes from the same inputs, chunk by chunk.
	const expected = SIZES.map(n => new Uint16Array(n));
	for (const [l, layer] of byLayer.entries()) {
		const good = layer.filter(m => m !== c0);
		const pgs = good.map(m => preparePseudoGradient(snapshot[l]!, current.get(m)!));
		for (let chunk = 0; chunk < PARTS; chunk++) {
			const r = mergeChunk({
				chunkNumber: chunk,
				layer: l,
				oldWeights: sliceChunk(snapshot[l]!, PARTS, chunk),
				sources: pgs.map((pg, i) => ({values: sliceChunk(pg, PARTS, chunk), weightingFactor: weight.get(good[i]!)!})),
				oldMomentum: momentum[l]![chunk]!,
				epoch,
				weighted: true,
			});
			expected[l]!.set(r.weights, chunkRange(SIZES[l]!, PARTS, chunk).start);
			momentum[l]![chunk] = r.momentum;
		}
	}

	// Back in training: the merged layer, every chunk, equal to the direct computation bit for bit.
	for (const m of miners) {
		const listed = await m.c.getMergedPartitions();
		assert.deepEqual(listed.map(p => [p.layer, p.chunk_number]), [0, 1, 2].map(c => [m.layer, c]));
		const first = epoch === 0;
		const r = await pullMergedWeights(m.io, {current: snapshot[m.layer]!, firstDownload: first, newToLayer: first, optimizerStateLength: m.optimizerState.length});
		assert.equal(r.status, 'applied');
		assert.deepEqual(r.applied, [0, 1, 2]);
		assert.deepEqual(r.rejected, []);
		assert.ok(same(r.weights, expected[m.layer]!), `${m.name}: merged weights as diloco computes them`);
		if (first) assert.ok(r.optimizerState && same(r.optimizerState, optimizerUploader[m.layer]!.optimizerState), `${m.name}: the layer's optimizer state`);
		else assert.equal(r.optimizerState, null, 'not new to the layer: no optimizer state');
	}
	for (const [l, w] of expected.entries()) snapshot[l] = w;
}

test('a full cycle from epoch 0: pseudo-gradients, merged chunks (corrupted source dropped), pulled weights equal diloco', async () => {
	await cycle(0);
});

test('a second cycle: momentum from the previous partitions, the cosine check on, epoch 1 -> 2', async () => {
	await cycle(1);
	for (const m of miners) {
		const notes = m.logs.filter(l => /without an attestation/.test(l));
		assert.equal(notes.length, 1, `${m.name}: the attestation note is logged once`);
	}
	assert.ok(byLayer[0]!.some(m => m.logs.some(l => /merge source \d of 3 left out: trailer not fetched/.test(l))));
});
