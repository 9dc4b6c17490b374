// A mixed pipeline: TF.js head -> PyTorch body (python3 process) -> TF.js tail, torch.save activations and
// gradients through the real object store, NAdam on every stage; per-step loss equals an all-PyTorch run.
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {startObjectStore, type ObjectStore} from '../../source/devnet/store.js';
import {Presigner} from '../../source/storage/presign.js';
import {makeS3Client} from '../../source/storage/s3.js';
import {initBackend} from '../../source/training/backend.js';
import {getPublicModel} from '../../source/training/llama3/config.js';
import {InnerOptimizer} from '../../source/training/llama3/inner-optimizer.js';
import {LlamaStage} from '../../source/training/llama3/stages.js';
import {isTensor, loadTorch, saveTorch, type TorchValue} from '../../source/training/torch/index.js';
import {fromTorchTensor, stateDict, toTorchTensor, weightsFromStateDict, type WireDtype} from '../../source/training/torch-tensors.js';
import {findTorchPython, torchSkip} from './torch_ref/bridge.js';
import {randomIds} from './torch_ref/parity.js';
import {StageWorker} from './torch_ref/stage-worker.js';

const python = findTorchPython();
const skip = torchSkip(python);
const {cfg, splits} = getPublicModel('tiny'); // head [0,1), body [1,2), tail [2,4)
const BATCH = 2, SEQ = 16, STEPS = 3, SEED = 3;
const table: string[] = [];

let storeDir: string;
let store: ObjectStore;
let presigner: Presigner;

before(async () => {
	await initBackend('cpu');
	if (skip) return;
	storeDir = mkdtempSync(join(tmpdir(), 'iota-mixed-store-'));
	store = await startObjectStore({directory: storeDir});
	presigner = new Presigner(makeS3Client({endpoint: store.url, bucket: store.bucket, accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey}), store.bucket);
});
after(async () => {
	await store?.close();
	if (storeDir) rmSync(storeDir, {recursive: true, force: true});
	if (table.length > 0) console.log(['', '| wire | step | mixed loss | all-PyTorch loss | rel. diff |', '|---|---|---|---|---|', ...table].join('\n'));
});

async function putTorch(key: string, value: TorchValue): Promise<void> {
	const r = await fetch(await presigner.putUrl(key, 300), {method: 'PUT', body: Buffer.from(saveTorch(value))});
	assert.equal(r.status, 200, `PUT ${key}`);
}
async function getTorch(key: string): Promise<TorchValue> {
	const r = await fetch(await presigner.getUrl(key, 300));
	assert.equal(r.status, 200, `GET ${key}`);
	return loadTorch(new Uint8Array(await r.arrayBuffer()));
}
const getTensor = async (key: string) => fromTorchTensor(await getTorch(key), key);

/** IOTA's optimizer for stage k of 3 (NAdam, stage beta1), and the same settings in PyTorch's names. */
function optimizerFor(k: number, count: number) {
	const opt = InnerOptimizer.forStage(splits.length, k, false, count); // IOTA_INNER: lr 2e-4, weight decay 0.1
	const o = opt.options;
	return {opt, torch: {kind: opt.kind, lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weight_decay: o.weightDecay, momentum_decay: o.momentumDecay}};
}

/** One pipeline run from the weights under `prefix/`: TF.js head and tail, the body in PyTorch. */
async function mixedRun(prefix: string, worker: StageWorker, wire: WireDtype, ids: Int32Array): Promise<number[]> {
	const [head, body, tail] = splits.map(s => new LlamaStage(cfg, s));
	const idsT = tf.tensor2d(ids, [BATCH, SEQ], 'int32');
	let w0 = await weightsOf(head!, `${prefix}/w0`);
	let w2 = await weightsOf(tail!, `${prefix}/w2`);
	const o0 = optimizerFor(0, w0.length), o2 = optimizerFor(2, w2.length);
	await worker.call('init', {cfg, split: body!.split, state_url: await presigner.getUrl(`${prefix}/w1`, 300), options: optimizerFor(1, body!.params.length).torch, wire});
	const losses: number[] = [];
	for (let step = 0; step < STEPS; step++) {
		const k = (name: string) => `${prefix}/step${step}/${name}`;
		const a = head!.forward(w0, idsT);
		await putTorch(k('head-out'), toTorchTensor(a, wire));
		await worker.call('forward', {in_url: await presigner.getUrl(k('head-out'), 300), out_url: await presigner.putUrl(k('body-out'), 300)});
		const x2 = await getTensor(k('body-out'));
		const t = tail!.lossBackward(w2, x2, ids);
		losses.push((await t.loss.data())[0]!);
		t.loss.dispose();
		await putTorch(k('tail-grad'), toTorchTensor(t.inputGrad!, wire));
		w2 = swap(w2, o2.opt.step(w2, t.weightGrads));
		await worker.call('backward', {grad_url: await presigner.getUrl(k('tail-grad'), 300), out_url: await presigner.putUrl(k('body-grad'), 300)});
		const dy = await getTensor(k('body-grad'));
		const h = head!.backward(w0, idsT, dy);
		w0 = swap(w0, o0.opt.step(w0, h.weightGrads));
		tf.dispose([a, x2, dy, t.output, t.inputGrad!, h.output, ...t.weightGrads.filter(g => g !== null), ...h.weightGrads.filter(g => g !== null)]);
	}
	o0.opt.dispose();
	o2.opt.dispose();
	tf.dispose([idsT, ...w0, ...w2]);
	for (const s of [head, body, tail]) s!.dispose();
	return losses;
}

async function weightsOf(stage: LlamaStage, key: string): Promise<tf.Tensor[]> {
	return weightsFromStateDict(stage.params.map(p => p.name), stage.params.map(p => p.shape), await getTorch(key));
}

/** Replaces weights with the optimizer's result, disposing the old ones it did not return. */
function swap(old: tf.Tensor[], next: tf.Tensor[]): tf.Tensor[] {
	old.forEach((w, i) => { if (next[i] !== w) w.dispose(); });
	return next;
}

/** TF.js initialises each stage; its weights go to the store as torch.save state_dicts that both runs start from. */
async function publishWeights(prefix: string): Promise<void> {
	for (const [k, split] of splits.entries()) {
		const stage = new LlamaStage(cfg, split);
		const w = stage.init(SEED + k);
		await putTorch(`${prefix}/w${k}`, stateDict(stage.params.map(p => p.name), w));
		tf.dispose(w);
	}
}

type Reference = {losses: number[]; optimizer: string};

/** The all-PyTorch run of the three stages from the same stored weights, rounding to `wire` at each hand-over. */
async function reference(worker: StageWorker, prefix: string, wire: WireDtype, ids: Int32Array): Promise<Reference> {
	const r = await worker.call('reference', {
		cfg, splits, wire, steps: STEPS, ids: [Array.from(ids.subarray(0, SEQ)), Array.from(ids.subarray(SEQ))],
		state_urls: await Promise.all(splits.map((_, k) => presigner.getUrl(`${prefix}/w${k}`, 300))),
		options: splits.map((_, k) => optimizerFor(k, 0).torch),
	}) as Reference;
	assert.equal(r.losses.length, STEPS);
	return r;
}

const relDiff = (a: number[], b: number[]) => a.map((x, i) => Math.abs(x - b[i]!) / Math.abs(b[i]!));

/** Mixed run and all-PyTorch run from the same weights and ids; asserts equal losses and that they went down. */
async function compare(wire: WireDtype, tol: number): Promise<{mixed: number[]; ref: number[]; worker: StageWorker; prefix: string; ids: Int32Array}> {
	const prefix = `mixed-${wire}`;
	const ids = randomIds(BATCH * SEQ, cfg.vocab_size, SEED);
	await publishWeights(prefix);
	const worker = new StageWorker(python!);
	try {
		const mixed = await mixedRun(prefix, worker, wire, ids);
		const ref = await reference(worker, prefix, wire, ids);
		console.log(`${wire}: PyTorch optimizer ${ref.optimizer}`);
		const rel = relDiff(mixed, ref.losses);
		mixed.forEach((l, i) => table.push(`| ${wire} | ${i + 1} | ${l.toFixed(6)} | ${ref.losses[i]!.toFixed(6)} | ${rel[i]!.toExponential(1)} |`));
		// What crossed the store is in the wire dtype, written by TF.js (head out, tail grad) and by PyTorch (body out, body grad).
		for (const name of ['head-out', 'body-out', 'tail-grad', 'body-grad']) {
			const t = await getTorch(`${prefix}/step0/${name}`);
			assert.ok(isTensor(t) && t.dtype === wire && t.shape.join() === [BATCH, SEQ, cfg.bottleneck_dim].join(), `${name} on the wire`);
		}
		rel.forEach((r, i) => assert.ok(r < tol, `step ${i + 1}: mixed ${mixed[i]} vs all-PyTorch ${ref.losses[i]} (rel ${r}, tolerance ${tol})`));
		for (let i = 1; i < STEPS; i++) assert.ok(mixed[i]! < mixed[i - 1]!, `loss did not go down at step ${i + 1}: ${mixed.join(', ')}`);
		assert.ok(mixed[0]! - mixed[STEPS - 1]! > 10 * tol * mixed[0]!, `the loss drop ${mixed[0]! - mixed[STEPS - 1]!} is within the tolerance`);
		return {mixed, ref: ref.losses, worker, prefix, ids};
	} catch (error) {
		await worker.stop();
		throw error;
	}
}

test('tiny, fp32 on the wire: mixed TF.js/PyTorch pipeline loss equals all-PyTorch (rel 1e-4) and goes down', {skip, timeout: 120_000}, async () => {
	await (await compare('float32', 1e-4)).worker.stop();
});

test('tiny, bf16 on the wire (as IOTA sends activations): equals all-PyTorch rounding at the same points (rel 1e-4)', {skip, timeout: 120_000}, async () => {
	const {mixed, ref, worker, prefix, ids} = await compare('bfloat16', 1e-4);
	try {
		// bf16 moves the loss by ~1e-5, under 1e-4: so also require the run to sit far closer to the reference
		// that rounds where it does than to one that does not round at all.
		const unrounded = await reference(worker, prefix, 'float32', ids);
		const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
		const near = sum(relDiff(mixed, ref)), far = sum(relDiff(mixed, unrounded.losses));
		console.log(`bf16 mixed run: summed rel. diff ${near.toExponential(1)} to the rounding reference, ${far.toExponential(1)} to the fp32 one`);
		assert.ok(5 * near < far, `rounding reference ${near} is not clearly closer than the fp32 one ${far}`);
	} finally {
		await worker.stop();
	}
});

test('state_dict and wire tensors round-trip through torch.save bytes; bf16 rounds to nearest even (no PyTorch needed)', () => {
	const a = tf.tensor([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5e-3], [2, 2]);
	const bf = fromTorchTensor(loadTorch(saveTorch(toTorchTensor(a, 'bfloat16'))));
	assert.deepEqual(Array.from(bf.dataSync()), [1, 1, 1 + 4 * 2 ** -8, -0.00250244140625]); // as torch's .bfloat16().float()
	const names = ['x.weight', 'y.weight'];
	const back = weightsFromStateDict(names, [[2, 2], [4]], loadTorch(saveTorch(stateDict(names, [a, tf.reshape(a, [4])]))));
	assert.deepEqual(Array.from(back[1]!.dataSync()), Array.from(a.dataSync()));
	assert.throws(() => weightsFromStateDict(names, [[2, 2], [2, 2]], stateDict(names, [a, tf.reshape(a, [4])])), /shape \[4\] instead of \[2,2\]/);
	assert.throws(() => weightsFromStateDict(['x.weight', 'z.weight'], [[2, 2], [4]], stateDict(names, [a, a])), /state_dict\[z.weight\]: expected a tensor/);
	tf.dispose([a, bf, ...back]);
});
