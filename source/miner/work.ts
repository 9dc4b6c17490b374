// Training work: ask for an item, run forward or backward on the worker, hand the output to the
// protocol, report the tail's loss; the head's own samples; optimizer steps every N backwards.
import {randomUUID} from 'node:crypto';
import {errorMessage} from '../errors.js';
import type {TensorData} from '../training/tensor-data.js';
import {int32Ids, type TextSamples} from '../training/text-samples.js';
import {decodeWire, encodeWire, type WireExpect} from '../training/wire.js';
import type {MinerContext} from './context.js';
import {dropPause, maxActivationBytes} from './guards.js';
import type {FetchTensor, Output, Work} from './protocol.js';

/** Asks for one work item and does it; false when the layer left training (the merge comes next). */
export async function trainOnce(ctx: MinerContext): Promise<boolean> {
	const work = await ctx.protocol.nextWork();
	if (work.phase && ctx.opts.store.getState().phase !== work.phase) ctx.setPhase(work.phase);
	if (work.kind === 'merge') return false;
	if (work.kind === 'unusable') await dropWork(ctx);
	else if (work.kind === 'backward') await backward(ctx, work);
	else if (work.kind === 'forward') await forward(ctx, work);
	else if (work.kind === 'sample') await sampleForward(ctx, work);
	else if (ctx.layer === 0 && !work.cacheFull && ctx.settings!.headSamples !== 'orchestrator') await startSample(ctx);
	else {
		ctx.waiting(work.cacheFull ? 'backward passes for the cached activations (cache full)' : `activations from layer ${ctx.layer - 1}`);
		await ctx.sleep(ctx.pollMs);
	}
	return true;
}

/** Work given up: pause before asking again, longer for each one in a row. */
async function dropWork(ctx: MinerContext): Promise<void> {
	ctx.dropped++;
	ctx.waiting('usable work (the last item was skipped)');
	await ctx.sleep(dropPause(ctx.pollMs, ctx.dropped));
}

async function deliver(ctx: MinerContext, out: Output): Promise<void> {
	await ctx.protocol.deliver(out);
	ctx.dropped = 0;
}

/** The head's text samples (loaded once). Each head miner samples its own texts: seeded from the hotkey. */
export async function headSamples(ctx: MinerContext): Promise<TextSamples> {
	if (ctx.samples) return ctx.samples;
	const {readCorpus, splitHeldOut} = await import('../training/data.js');
	const {TextSamples} = await import('../training/text-samples.js');
	let seed = 0;
	for (const c of ctx.hotkey) seed = (Math.imul(seed, 31) + c.charCodeAt(0)) >>> 0;
	ctx.samples = new TextSamples(splitHeldOut(readCorpus(ctx.opts.corpus)).train, seed);
	return ctx.samples;
}

async function startSample(ctx: MinerContext): Promise<void> {
	const source = await headSamples(ctx);
	const {batchSize, seqLen} = ctx.config;
	const uid = randomUUID();
	// A text sample, tokenized with BOS first and cut to [B, S] as IOTA's head does; it travels as int64.
	const ids = int32Ids(source.batch(ctx.sampleTokenizer!, batchSize, seqLen));
	const idsTensor: TensorData = {dtype: 'int32', shape: [batchSize, seqLen], data: ids.buffer as ArrayBuffer};
	await headForward(ctx, uid, idsTensor, encodeWire(idsTensor));
}

/** The head's forward on token ids [B, S]; `tokenIds` is their wire form (v1 uploads it as the initial activation). */
async function headForward(ctx: MinerContext, uid: string, ids: TensorData, tokenIds: Uint8Array): Promise<void> {
	const tokens = ids.shape[0]! * ids.shape[1]!;
	ctx.waiting(null);
	const t0 = ctx.now();
	const r = await ctx.trainer!.forward(uid, ids);
	ctx.saved.add(uid);
	ctx.dispatch({type: 'batch', direction: 'forward', activationUid: uid, tokens, ms: ctx.now() - t0, at: ctx.now()});
	await deliver(ctx, {id: uid, direction: 'forward', body: encodeWire(r.output!), tokenIds});
}

/** A sample the orchestrator handed out (current protocol): its token ids, then the head's forward. */
async function sampleForward(ctx: MinerContext, a: Extract<Work, {kind: 'sample'}>): Promise<void> {
	ctx.waiting(`sample text of activation ${a.id.slice(0, 8)}`);
	const bytes = await a.tokens(maxActivationBytes(ctx.config));
	await headForward(ctx, a.id, decodeWire(bytes, idsExpect), bytes);
}

// Activations, gradients and token ids travel as torch.save tensors (bf16 / int64), size-capped.
const idsExpect: WireExpect = {kind: 'ids', shape: [null, null], what: 'token ids'};
const actExpect = (ctx: MinerContext, what: string): WireExpect => ({kind: 'activation', shape: [null, null, ctx.config.bottleneckDim], what});
const fetchTensor = async (ctx: MinerContext, fetch: FetchTensor, expect: WireExpect) => decodeWire(await fetch(maxActivationBytes(ctx.config)), expect);

async function forward(ctx: MinerContext, a: Extract<Work, {kind: 'forward'}>): Promise<void> {
	const uid = a.id;
	const trainer = ctx.trainer!;
	const last = ctx.layer === ctx.settings!.layers - 1;
	ctx.waiting(`download of activation ${uid.slice(0, 8)}`);
	const input = await fetchTensor(ctx, a.input, actExpect(ctx, `activation ${uid.slice(0, 8)}`));
	const tokens = input.shape[0]! * input.shape[1]!;
	const batch = (direction: 'forward' | 'backward', t0: number) => ctx.dispatch({type: 'batch', direction, activationUid: uid, tokens, ms: ctx.now() - t0, at: ctx.now()});
	if (!last) {
		ctx.waiting(null);
		const t0 = ctx.now();
		const r = await trainer.forward(uid, input);
		ctx.saved.add(uid);
		batch('forward', t0);
		await deliver(ctx, {id: uid, direction: 'forward', body: encodeWire(r.output!)});
		return;
	}
	if (!a.targets) {
		ctx.log('warn', `activation ${uid.slice(0, 8)} came without its token ids (initial activation): skipped`);
		return;
	}
	const ids = await fetchTensor(ctx, a.targets, idsExpect);
	ctx.waiting(null);
	let t0 = ctx.now();
	await trainer.forward(uid, input, {dtype: 'int32', shape: ids.shape, data: ids.data});
	batch('forward', t0);
	t0 = ctx.now();
	const r = await trainer.backward(uid);
	batch('backward', t0);
	await deliver(ctx, {id: uid, direction: 'backward', body: encodeWire(r.inputGrad!)});
	const loss = r.loss!;
	ctx.dispatch({type: 'loss', value: loss, at: ctx.now()});
	await ctx.protocol.reportLoss(uid, loss);
	await afterBackward(ctx);
}

async function backward(ctx: MinerContext, a: Extract<Work, {kind: 'backward'}>): Promise<void> {
	const uid = a.id;
	if (!ctx.saved.has(uid)) {
		// Not ours (a worker restart, or an orchestrator naming an unknown uid): pause, do not spin.
		ctx.log('warn', `backward for ${uid.slice(0, 8)} but this worker holds no forward for it: skipped`);
		return dropWork(ctx);
	}
	ctx.waiting(`download of gradient ${uid.slice(0, 8)}`);
	const grad = await fetchTensor(ctx, a.input, actExpect(ctx, `gradient ${uid.slice(0, 8)}`));
	ctx.waiting(null);
	const t0 = ctx.now();
	const r = await ctx.trainer!.backward(uid, grad);
	ctx.saved.delete(uid);
	ctx.dispatch({type: 'batch', direction: 'backward', activationUid: uid, tokens: grad.shape[0]! * grad.shape[1]!, ms: ctx.now() - t0, at: ctx.now()});
	// Layer 0 has no input gradient; v1 still publishes an object for the backward.
	const body = encodeWire(r.inputGrad ?? {dtype: 'float32', shape: [1], data: new Float32Array([0]).buffer});
	await deliver(ctx, {id: uid, direction: 'backward', body});
	await afterBackward(ctx);
}

/** The orchestrator's learning rate, asked at most every 10 s; the last one if asking fails. */
async function learningRate(ctx: MinerContext): Promise<number> {
	if (ctx.lr && ctx.now() - ctx.lr.at < 10_000) return ctx.lr.value;
	try {
		ctx.lr = {value: await ctx.protocol.learningRate(), at: ctx.now()};
		ctx.dispatch({type: 'lr', value: ctx.lr.value});
	} catch (error) {
		if (!ctx.lr) throw error;
		ctx.log('warn', `learning rate not refreshed: ${errorMessage(error)}`);
	}
	return ctx.lr.value;
}

export async function optimizerStep(ctx: MinerContext): Promise<void> {
	if (ctx.backwardsSinceStep === 0) return;
	const value = await learningRate(ctx);
	const r = await ctx.trainer!.step(value);
	ctx.backwardsSinceStep = 0;
	ctx.stepsSinceMerge++;
	ctx.log('info', `optimizer step ${r.step}: lr ${value.toExponential(2)}, grad norm ${r.gradNorm.toFixed(3)} over ${r.microBatches} batches`);
}

async function afterBackward(ctx: MinerContext): Promise<void> {
	ctx.backwardsSinceStep++;
	const every = ctx.opts.localSteps ?? ctx.settings!.batchesBeforeMerging;
	if (every > 0 && ctx.backwardsSinceStep >= every) await optimizerStep(ctx);
}
