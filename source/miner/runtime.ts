// The miner runtime: the IOTA v1 loop as services that only emit MinerEvents to the store.
//   chain registration -> register_miner (layer) -> settings -> training worker for that stage ->
//   merged layer weights if any -> loop { random activation -> forward/backward/initial on the
//   worker -> persistent upload queue (presigned PUT + publish status) -> report loss on the tail }
//   and on a 409 phase change the merge sequence: step, upload weights + optimizer state + metadata,
//   notify, wait for merging, fetch assigned chunks, Range-download sections, merge, upload, notify,
//   wait for training, download the merged layer. Background: score + on-chain incentive polling,
//   periodic is_registered, healthcheck and re-register after failures.
import {randomUUID} from 'node:crypto';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import type {ChainClient} from '../chain/client.js';
import {UserError, errorMessage} from '../errors.js';
import {OrchestratorClient, OrchestratorError, type ClientOptions, VersionMismatchError, WrongPhaseError} from '../orchestrator/client.js';
import type {ActivationResponse, MergingPhase, Partition} from '../orchestrator/schemas.js';
import type {OrchestratorSettings} from '../orchestrator/settings.js';
import {download, putPresigned, uploadObject, type TransferOptions} from '../orchestrator/transfer.js';
import {UploadQueue, type QueuedJob} from '../storage/upload-queue.js';
import {bf16ToBytes, bytesToBf16, getSection, mergeSection, parseMetadata, vectorMetadata, applySection, type Section} from '../training/bf16.js';
import {TrainerClient} from '../training/client.js';
import {getConfig, type ModelConfig} from '../training/config.js';
import {byteSampleTokenizer} from '../training/data.js';
import type {SampleTokenizer} from '../training/head-data.js';
import type {TensorData} from '../training/tensor-data.js';
import {int32Ids, type TextSamples} from '../training/text-samples.js';
import {decodeWire, encodeWire, type WireExpect} from '../training/wire.js';
import {MAX_METADATA_BYTES, dropPause, isUuid, maxActivationBytes, maxVectorBytes, within} from './guards.js';
import type {MinerHandle, MinerOptions, MinerStats} from './options.js';
import type {Direction, UploadKind} from './types.js';

export type {MinerHandle, MinerOptions, MinerStats} from './options.js';

class Stopped extends Error {
	constructor() {
		super('stopped');
	}
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export async function startMiner(opts: MinerOptions): Promise<MinerHandle> {
	const {store} = opts;
	const now = () => Date.now();
	const dispatch = store.dispatch;
	const log = (level: 'info' | 'warn' | 'error', t: string) => dispatch({type: 'log', level, text: t, at: now()});
	const hotkey = opts.hotkeyPair.address;
	const pollMs = opts.pollMs ?? 1000;
	const phasePollMs = opts.phasePollMs ?? 2000;
	const netuid = opts.netuid ?? 9;
	const stopCtl = new AbortController();
	const stopSignal = stopCtl.signal;
	const stats: MinerStats = {activationsUploaded: 0, published: 0, stale: 0, merges: 0, weightsSubmitted: 0, partitionsMerged: 0, uploadsFailed: 0};
	const timers = new Set<NodeJS.Timeout>();
	let chain: ChainClient | null = opts.chain ?? null;
	let ownChain = false;
	let trainer: TrainerClient | null = null;
	let queue: UploadQueue | null = null;
	let layer = -1;
	let settings: OrchestratorSettings | null = null;
	let config: ModelConfig;
	let needRegister = false;
	let emulated = false;
	let restarting: Promise<void> | null = null;
	let crashes: number[] = [];
	let backwardsSinceStep = 0;
	let lr: {value: number; at: number} | null = null;
	const saved = new Set<string>(); // activation uids whose forward input the worker holds
	let dropped = 0; // work items given up in a row (unknown uid, bad reply): each one pauses longer
	// Aborted when stop() gives up draining: ends uploads and their publish calls in flight.
	const uploadsCtl = new AbortController();
	const allowHosts = [new URL(opts.orchestratorUrl).hostname, ...(opts.storeHosts ?? [])];
	const xfer = (maxBytes?: number, signal: AbortSignal = stopSignal): TransferOptions => ({allowHosts, signal, maxBytes, backoffMs: opts.clientBackoffMs ?? 1000});
	let samples: TextSamples | null = null;
	let sampleTokenizer: SampleTokenizer | null = opts.tokenizer ?? null;

	const sleep = (ms: number) =>
		new Promise<void>((resolve, reject) => {
			if (stopSignal.aborted) return reject(new Stopped());
			const t = setTimeout(() => {
				stopSignal.removeEventListener('abort', onAbort);
				resolve();
			}, ms);
			const onAbort = () => {
				clearTimeout(t);
				reject(new Stopped());
			};
			stopSignal.addEventListener('abort', onAbort, {once: true});
		});
	const checkStop = () => {
		if (stopSignal.aborted) throw new Stopped();
	};
	const waiting = (what: string | null) => {
		if (store.getState().waitingFor !== what) dispatch({type: 'waiting', what});
	};
	const heartbeat = () => dispatch({type: 'heartbeat', at: now()});

	const clientOptions = (signal: AbortSignal): ClientOptions => ({
		url: opts.orchestratorUrl,
		signer: opts.hotkeyPair,
		attempts: opts.clientAttempts ?? 4,
		backoffMs: opts.clientBackoffMs ?? 1000,
		maxBackoffMs: 10_000,
		timeoutMs: 30_000,
		signal,
		// A 429 is the orchestrator pacing us (v1: 1 request/s per endpoint): a wait, not a warning.
		onRetry: r => (/\b429\b/.test(r.reason)
			? dispatch({type: 'waiting', what: `the orchestrator's rate limit on ${r.endpoint} (${Math.round(r.delayMs)} ms)`})
			: log('warn', `${r.endpoint}: ${r.reason}, retry ${r.attempt} in ${Math.round(r.delayMs)} ms`)),
	});
	const client = new OrchestratorClient(clientOptions(stopSignal));
	// The upload queue's own client: its publish calls may finish while stop() drains the queue.
	const uploadClient = new OrchestratorClient(clientOptions(uploadsCtl.signal));
	const network = opts.network ?? 'devnet';
	dispatch({type: 'started', at: now(), hotkey, network, chainUrl: opts.chain?.url ?? opts.chainUrl ?? '', orchestratorUrl: client.url});

	// ---- the upload queue's transfer: PUT through presigned URLs, then publish activations
	// A forward waits for its initial through the queue (enqueue's `after`), never inside a slot.
	async function runJob(job: QueuedJob): Promise<void> {
		uploadClient.orchestratorVersion = client.orchestratorVersion;
		const o = {...xfer(undefined, AbortSignal.any([job.signal, uploadsCtl.signal])), attempts: 2};
		const body = await job.body();
		if (job.kind === 'metadata') await putPresigned(await uploadClient.presignedUrl(job.key), body, o);
		else await uploadObject(uploadClient, job.key, body, undefined, o);
		heartbeat();
		if (job.kind !== 'activation') return;
		const uid = String(job.meta.activationUid);
		const direction = job.meta.direction as Direction;
		try {
			await uploadClient.updateStatus(direction, uid, job.key);
		} catch (error) {
			// The layer left training, or the orchestrator archived this sample (merge, timeout):
			// the activation is stale and v1 drops it. The object is stored; nothing to retry.
			if (error instanceof WrongPhaseError || (error instanceof OrchestratorError && [400, 403, 404].includes(error.status))) {
				stats.stale++;
				log('warn', `activation ${uid.slice(0, 8)} ${direction} not published (stale: ${error instanceof WrongPhaseError ? `layer expected ${error.expectedState}` : error.detail})`);
				return;
			}
			throw error;
		}
		stats.published++;
		dispatch({type: 'published', key: job.key, activationUid: uid, at: now()});
	}

	async function enqueue(key: string, kind: UploadKind, body: Uint8Array, meta?: Record<string, unknown>, after?: string): Promise<string> {
		// Work that finishes after stop() (a slow worker call outlives the loop's 2 s) is not queued: the drain is over.
		checkStop();
		const q = queue!;
		if (q.full) dispatch({type: 'waiting', what: `upload queue full (${q.snapshot().filter(i => i.state !== 'failed').length} pending)`, queueFull: true});
		const queued = q.enqueue({key, kind, body, meta, after});
		// Counted when the job is really in the queue, even if stop() ends the wait for it first.
		if (kind === 'activation') void queued.then(() => stats.activationsUploaded++, () => {});
		const id = await within(queued, 30 * 60_000, 'a free slot in the upload queue', stopSignal, () => new Stopped());
		if (store.getState().queue.full) dispatch({type: 'waiting', what: null, queueFull: false});
		return id;
	}
	const activationKey = (uid: string, direction: Direction) => {
		if (!isUuid(uid)) throw new UserError(`activation uid "${String(uid).slice(0, 40)}" is not a UUID: not used in a storage key`);
		return `activations/${uid}/${layer}/${direction}/${randomUUID()}.bin`;
	};
	async function enqueueActivation(uid: string, direction: Direction, body: Uint8Array, after?: string): Promise<string> {
		const key = activationKey(uid, direction);
		const id = await enqueue(key, 'activation', body, {activationUid: uid, direction, layer}, after);
		dropped = 0;
		return id;
	}
	/** Waits for queued uploads, at most `ms`, and not past stop(). */
	const uploaded = (ids: string[], ms: number, what: string) => within(Promise.all(ids.map(id => queue!.whenDone(id))), ms, what, stopSignal, () => new Stopped());

	// ---- chain and orchestrator registration
	async function chainRegistration(): Promise<void> {
		if (!chain && opts.chainUrl) {
			waiting(`the chain at ${opts.chainUrl}`);
			const {connectChain} = await import('../chain/client.js');
			chain = await connectChain(opts.chainUrl);
			ownChain = true;
		}
		if (!chain) return;
		emulated = await chain.isDevnet().catch(() => false);
		let uid = await chain.getUid(netuid, hotkey);
		if (uid === null) {
			if (!opts.coldkeyPair) throw new UserError(`hotkey ${hotkey} is not registered on subnet ${netuid} of ${chain.url}: run \`iota-tui register\` first`);
			waiting(`registration of ${hotkey} on subnet ${netuid}`);
			await chain.topUpForRegistration(opts.coldkeyPair.address, netuid);
			uid = (await chain.burnedRegister(opts.coldkeyPair, hotkey, netuid)).uid;
			log('info', `registered on subnet ${netuid} with uid ${uid}`);
		}
		dispatch({type: 'chain_registered', uid});
	}

	async function register(): Promise<void> {
		waiting(`registration with the orchestrator at ${client.url}`);
		const r = await client.register();
		heartbeat();
		if (layer >= 0 && r.layer !== layer) throw new UserError(`the orchestrator moved this miner from layer ${layer} to ${r.layer}; restart the miner`);
		layer = r.layer;
		needRegister = false;
		dispatch({type: 'registered', layer, version: r.version, at: now()});
	}

	// ---- the training worker
	async function startTrainer(): Promise<void> {
		waiting(`the training worker (stage ${layer}, backend ${opts.backend ?? 'auto'})`);
		trainer = await TrainerClient.start({config, stages: [layer], seed: opts.seed ?? 42, backend: opts.backend ?? 'auto', engine: 'llama3'});
		const b = trainer.info!.backend;
		dispatch({type: 'backend', name: b.name, detail: `${b.detail}; ${config.name} stage ${layer}, ${trainer.info!.numParams.toLocaleString('en-US')} params`});
		trainer.onCrash(error => {
			dispatch({type: 'worker_crash', message: error.message, at: now()});
			crashes = [...crashes.filter(t => now() - t < 600_000), now()];
			if (stopSignal.aborted) return;
			if (crashes.length > 5) {
				fatal(`the training worker crashed ${crashes.length} times in 10 minutes (last: ${error.message})`);
				return;
			}
			restarting = (async () => {
				saved.clear();
				backwardsSinceStep = 0;
				await trainer!.restart();
				await syncLayer().catch(e => log('warn', `after the worker restart: merged layer not loaded: ${errorMessage(e)}`));
				dispatch({type: 'worker_restarted', at: now()});
			})()
				.catch(e => fatal(`the training worker could not restart: ${errorMessage(e)}`))
				.finally(() => (restarting = null));
		});
	}

	function headSamples() {
		if (samples) return samples;
		return (async () => {
			const {readCorpus, splitHeldOut} = await import('../training/data.js');
			const {TextSamples} = await import('../training/text-samples.js');
			// Each head miner samples its own texts: seed from the hotkey.
			let seed = 0;
			for (const c of hotkey) seed = (Math.imul(seed, 31) + c.charCodeAt(0)) >>> 0;
			samples = new TextSamples(splitHeldOut(readCorpus(opts.corpus)).train, seed);
			return samples;
		})();
	}

	// ---- training work
	async function startSample(): Promise<void> {
		const source = await headSamples();
		const {batchSize, seqLen} = config;
		const uid = randomUUID();
		// A text sample, tokenized with BOS first and cut to [B, S] as IOTA's head does; it travels as int64.
		const ids = int32Ids(source.batch(sampleTokenizer!, batchSize, seqLen));
		const idsTensor: TensorData = {dtype: 'int32', shape: [batchSize, seqLen], data: ids.buffer as ArrayBuffer};
		const initialBody = encodeWire(idsTensor);
		waiting(null);
		const t0 = now();
		const r = await trainer!.forward(uid, idsTensor);
		saved.add(uid);
		dispatch({type: 'batch', direction: 'forward', activationUid: uid, tokens: batchSize * seqLen, ms: now() - t0, at: now()});
		const initialId = await enqueueActivation(uid, 'initial', initialBody);
		await enqueueActivation(uid, 'forward', encodeWire(r.output!), initialId);
	}

	// Activations, gradients and token ids travel as torch.save tensors (bf16 / int64), size-capped.
	const idsExpect: WireExpect = {kind: 'ids', shape: [null, null], what: 'token ids'};
	const actExpect = (what: string): WireExpect => ({kind: 'activation', shape: [null, null, config.bottleneckDim], what});
	const fetchTensor = async (path: string, expect: WireExpect) => decodeWire(await download(path, undefined, xfer(maxActivationBytes(config))), expect);

	async function forward(a: ActivationResponse): Promise<void> {
		const uid = a.activation_uid!;
		const last = layer === settings!.layers - 1;
		waiting(`download of activation ${uid.slice(0, 8)}`);
		const input = await fetchTensor(a.activation_path!, actExpect(`activation ${uid.slice(0, 8)}`));
		const tokens = input.shape[0]! * input.shape[1]!;
		if (!last) {
			waiting(null);
			const t0 = now();
			const r = await trainer!.forward(uid, input);
			saved.add(uid);
			dispatch({type: 'batch', direction: 'forward', activationUid: uid, tokens, ms: now() - t0, at: now()});
			await enqueueActivation(uid, 'forward', encodeWire(r.output!));
			return;
		}
		if (!a.initial_activation_path) {
			log('warn', `activation ${uid.slice(0, 8)} came without its token ids (initial activation): skipped`);
			return;
		}
		const ids = await fetchTensor(a.initial_activation_path, idsExpect);
		waiting(null);
		let t0 = now();
		await trainer!.forward(uid, input, {dtype: 'int32', shape: ids.shape, data: ids.data});
		dispatch({type: 'batch', direction: 'forward', activationUid: uid, tokens, ms: now() - t0, at: now()});
		t0 = now();
		const r = await trainer!.backward(uid);
		dispatch({type: 'batch', direction: 'backward', activationUid: uid, tokens, ms: now() - t0, at: now()});
		await enqueueActivation(uid, 'backward', encodeWire(r.inputGrad!));
		const loss = r.loss!;
		dispatch({type: 'loss', value: loss, at: now()});
		try {
			await client.reportLoss(uid, loss);
			heartbeat();
		} catch (error) {
			if (!(error instanceof WrongPhaseError)) log('warn', `loss not reported: ${errorMessage(error)}`);
		}
		await afterBackward();
	}

	async function backward(a: ActivationResponse): Promise<void> {
		const uid = a.activation_uid!;
		if (!saved.has(uid)) {
			// Not ours (a worker restart, or an orchestrator naming an unknown uid): pause, do not spin.
			log('warn', `backward for ${uid.slice(0, 8)} but this worker holds no forward for it: skipped`);
			return dropWork();
		}
		waiting(`download of gradient ${uid.slice(0, 8)}`);
		const grad = await fetchTensor(a.activation_path!, actExpect(`gradient ${uid.slice(0, 8)}`));
		waiting(null);
		const t0 = now();
		const r = await trainer!.backward(uid, grad);
		saved.delete(uid);
		dispatch({type: 'batch', direction: 'backward', activationUid: uid, tokens: grad.shape[0]! * grad.shape[1]!, ms: now() - t0, at: now()});
		// Layer 0 has no input gradient; v1 still publishes an object for the backward.
		const body = encodeWire(r.inputGrad ?? {dtype: 'float32', shape: [1], data: new Float32Array([0]).buffer});
		await enqueueActivation(uid, 'backward', body);
		await afterBackward();
	}

	async function learningRate(): Promise<number> {
		if (lr && now() - lr.at < 10_000) return lr.value;
		try {
			lr = {value: await client.learningRate(), at: now()};
			dispatch({type: 'lr', value: lr.value});
		} catch (error) {
			if (!lr) throw error;
			log('warn', `learning rate not refreshed: ${errorMessage(error)}`);
		}
		return lr!.value;
	}

	async function optimizerStep(): Promise<void> {
		if (backwardsSinceStep === 0) return;
		const value = await learningRate();
		const r = await trainer!.step(value);
		backwardsSinceStep = 0;
		log('info', `optimizer step ${r.step}: lr ${value.toExponential(2)}, grad norm ${r.gradNorm.toFixed(3)} over ${r.microBatches} batches`);
	}

	async function afterBackward(): Promise<void> {
		backwardsSinceStep++;
		const every = opts.localSteps ?? settings!.batches_before_merging;
		if (every > 0 && backwardsSinceStep >= every) await optimizerStep();
	}

	// ---- merging
	function setPhase(phase: MergingPhase) {
		if (store.getState().phase !== phase || store.getState().layer !== layer) dispatch({type: 'phase', layer, phase, at: now()});
	}

	async function layerStatus() {
		const r = await client.isMerging(layer);
		heartbeat();
		setPhase(r.status);
		return r;
	}

	async function waitPhase(targets: MergingPhase[], what: string): Promise<MergingPhase> {
		const deadline = now() + (settings!.phase_timeout_s + 60) * 1000;
		for (;;) {
			const r = await layerStatus();
			if (targets.includes(r.status)) return r.status;
			if (now() > deadline) throw new UserError(`layer ${layer} stayed in ${r.status} past the phase timeout`);
			waiting(what);
			await sleep(phasePollMs);
		}
	}

	async function layerEpoch(): Promise<number> {
		return (await client.globalMinerWeights()).layers.find(l => l.layer === layer)?.epoch ?? 0;
	}

	async function submitWeights(numSections: number, epoch: number): Promise<boolean> {
		await optimizerStep();
		waiting('weights export from the training worker');
		const w = await trainer!.exportWeights('bf16');
		const o = await trainer!.exportOptimizerState('bf16');
		const key = (kind: string, ext: string) => `${kind}/${hotkey}/${numSections}/${epoch}/${randomUUID()}.${ext}`;
		const k = {w: key('weights', 'bin'), wm: key('metadata/weights', 'json'), o: key('optimizer_state', 'bin'), om: key('metadata/optimizer_state', 'json')};
		const ids = [
			await enqueue(k.w, 'weights', w),
			await enqueue(k.wm, 'metadata', json(vectorMetadata(w.length / 2, numSections))),
			await enqueue(k.o, 'optimizer_state', o),
			await enqueue(k.om, 'metadata', json(vectorMetadata(o.length / 2, numSections))),
		];
		waiting(`weights + optimizer state upload (${((w.length + o.length) / 1e6).toFixed(2)} MB)`);
		await uploaded(ids, 30 * 60_000, 'weights + optimizer state upload');
		waiting('notify_weights_uploaded');
		try {
			const r = await client.notifyWeightsUploaded({weights_path: k.w, metadata_path: k.wm, optimizer_state_path: k.o, optimizer_state_metadata_path: k.om});
			heartbeat();
			if (r.success !== 'success') {
				log('warn', `weights not accepted: ${r.success}`);
				return false;
			}
		} catch (error) {
			if (error instanceof WrongPhaseError) {
				log('warn', `weights too late: layer already in ${error.expectedState === 'weights_uploading' ? 'the next phase' : error.expectedState}`);
				return false;
			}
			throw error;
		}
		stats.weightsSubmitted++;
		log('info', `weights submitted (${numSections} sections, epoch ${epoch})`);
		return true;
	}

	async function mergeChunks(epoch: number): Promise<void> {
		waiting('get_chunks_for_miner');
		let subs, chunks;
		try {
			[subs, chunks] = await client.chunksForMiner();
		} catch (error) {
			if (error instanceof WrongPhaseError) return;
			throw error;
		}
		const partitions: Partition[] = [];
		const pending: string[] = [];
		for (const chunk of chunks) {
			const w: Uint16Array[] = [];
			const o: Uint16Array[] = [];
			const factors: number[] = [];
			let ws: Section | null = null;
			let os: Section | null = null;
			for (const s of subs) {
				try {
					waiting(`section ${chunk} from ${s.hotkey.slice(0, 8)}`);
					const wm = parseMetadata(JSON.parse(text(await download(s.weight_metadata_path, undefined, xfer(MAX_METADATA_BYTES)))));
					const om = parseMetadata(JSON.parse(text(await download(s.optimizer_state_metadata_path, undefined, xfer(MAX_METADATA_BYTES)))));
					const a = getSection(wm, chunk);
					const b = getSection(om, chunk);
					if ((ws && (a.start_idx !== ws.start_idx || a.end_idx !== ws.end_idx)) || (os && (b.start_idx !== os.start_idx || b.end_idx !== os.end_idx))) {
						log('warn', `section ${chunk} of ${s.hotkey.slice(0, 8)} has another layout: left out`);
						continue;
					}
					const cap = xfer(maxVectorBytes(trainer!.info!.numParams));
					const wb = bytesToBf16(await download(s.weights_path, {start: a.start_byte, end: a.end_byte}, cap));
					const ob = bytesToBf16(await download(s.optimizer_state_path, {start: b.start_byte, end: b.end_byte}, cap));
					[ws, os] = [a, b];
					w.push(wb);
					o.push(ob);
					factors.push(s.weighting_factor);
				} catch (error) {
					log('warn', `section ${chunk} of ${s.hotkey.slice(0, 8)} not usable: ${errorMessage(error)}`);
				}
			}
			if (!ws || !os || w.length === 0) continue;
			const mw = mergeSection(w, factors);
			const mo = mergeSection(o, factors);
			const key = (kind: string, ext: string) => `${kind}/${hotkey}/1/${epoch}/${randomUUID()}.${ext}`;
			const k = {w: key('weights', 'bin'), wm: key('metadata/weights', 'json'), o: key('optimizer_state', 'bin'), om: key('metadata/optimizer_state', 'json')};
			pending.push(
				await enqueue(k.w, 'partition', bf16ToBytes(mw)),
				await enqueue(k.wm, 'metadata', json(vectorMetadata(mw.length, 1))),
				await enqueue(k.o, 'partition', bf16ToBytes(mo)),
				await enqueue(k.om, 'metadata', json(vectorMetadata(mo.length, 1))),
			);
			const data = (s: Section) => ({chunk_start_idx: s.start_idx, chunk_end_idx: s.end_idx, chunk_start_byte: s.start_byte, chunk_end_byte: s.end_byte, chunk_dtype: 'bfloat16', chunk_length: s.end_idx - s.start_idx});
			partitions.push({layer, chunk_number: chunk, miner_hotkey: hotkey, weight_path: k.w, weight_metadata_path: k.wm, optimizer_state_path: k.o, optimizer_state_metadata_path: k.om, weight_data: data(ws), optimizer_state_data: data(os)});
		}
		if (partitions.length === 0) return;
		waiting(`merged partition upload (${partitions.length} chunk${partitions.length > 1 ? 's' : ''})`);
		await uploaded(pending, 30 * 60_000, 'merged partition upload');
		try {
			waiting('notify_merged_partitions_uploaded');
			const r = await client.notifyMergedPartitions(partitions);
			heartbeat();
			stats.partitionsMerged += partitions.length;
			log('info', `merged chunk${partitions.length > 1 ? 's' : ''} ${partitions.map(p => p.chunk_number).join(', ')} (${r.message})`);
		} catch (error) {
			if (error instanceof WrongPhaseError) log('info', 'merged partitions not needed: the layer already has enough');
			else throw error;
		}
	}

	/** Downloads the layer's merged partitions into the worker's weights and optimizer state. */
	async function syncLayer(): Promise<boolean> {
		waiting(`merged weights of layer ${layer}`);
		const parts = await client.layerWeights(layer);
		heartbeat();
		if (parts.length === 0) return false;
		const w = bytesToBf16(await trainer!.exportWeights('bf16')).slice();
		const o = bytesToBf16(await trainer!.exportOptimizerState('bf16')).slice();
		const apply = (vec: Uint16Array, d: Partition['weight_data'], bytes: Uint8Array) => {
			if (d.chunk_end_idx > vec.length || bytes.length !== 2 * (d.chunk_end_idx - d.chunk_start_idx)) throw new UserError(`partition does not fit this model (${bytes.length} bytes for [${d.chunk_start_idx}, ${d.chunk_end_idx}) of ${vec.length})`);
			applySection(vec, {start_idx: d.chunk_start_idx, end_idx: d.chunk_end_idx, start_byte: d.chunk_start_byte, end_byte: d.chunk_end_byte}, bytesToBf16(bytes));
		};
		// A partition is exactly its chunk's bf16 bytes: that is also the most a download may bring.
		const fetchChunk = (path: string, d: Partition['weight_data'], vec: Uint16Array) => {
			const bytes = 2 * (d.chunk_end_idx - d.chunk_start_idx);
			if (!(d.chunk_start_idx >= 0 && d.chunk_end_idx <= vec.length && bytes > 0)) throw new UserError(`partition [${d.chunk_start_idx}, ${d.chunk_end_idx}) does not fit this model (${vec.length} values)`);
			return download(path, undefined, xfer(bytes));
		};
		for (const p of parts) {
			apply(w, p.weight_data, await fetchChunk(p.weight_path, p.weight_data, w));
			apply(o, p.optimizer_state_data, await fetchChunk(p.optimizer_state_path, p.optimizer_state_data, o));
		}
		await trainer!.importWeights(bf16ToBytes(w), 'bf16');
		await trainer!.importOptimizerState(bf16ToBytes(o), 'bf16');
		log('info', `loaded the merged layer ${layer} (${parts.length} partition${parts.length > 1 ? 's' : ''})`);
		return true;
	}

	async function mergeSequence(): Promise<void> {
		waiting(`the phase of layer ${layer}`);
		const first = await layerStatus();
		if (first.status === 'is_training') return;
		const epochBefore = await layerEpoch();
		let status: MergingPhase = first.status;
		let submitted = false;
		if (status === 'weights_uploading') {
			submitted = await submitWeights(first.num_sections, epochBefore);
			status = await waitPhase(['miners_merging_partitions', 'is_training'], 'the layer to start merging (other miners uploading weights)');
		}
		if (status === 'miners_merging_partitions') {
			if (submitted) await mergeChunks(epochBefore);
			status = await waitPhase(['is_training'], 'the layer to finish merging (enough merged partitions)');
		}
		// Back to training: whatever this worker held belongs to archived activations.
		for (const uid of saved) await trainer!.drop(uid).catch(() => {});
		saved.clear();
		const epoch = await layerEpoch();
		if (epoch > epochBefore) {
			await syncLayer();
			stats.merges++;
			dispatch({type: 'merge_done', layer, epoch, at: now()});
		} else {
			log('warn', `layer ${layer} went back to training without a merge (phase timeout)`);
			setPhase('is_training');
		}
	}

	// ---- one step of the loop
	async function step(): Promise<void> {
		if (restarting) {
			waiting('the training worker to restart');
			await restarting;
		}
		if (needRegister) await register();
		waiting('work (random activation)');
		let a: ActivationResponse;
		try {
			a = await client.randomActivation();
			heartbeat();
		} catch (error) {
			if (error instanceof WrongPhaseError) return mergeSequence();
			throw error;
		}
		if (store.getState().phase !== 'is_training') setPhase('is_training');
		if (a.direction === 'backward' || a.direction === 'forward' || a.direction === 'initial') {
			if (!isUuid(a.activation_uid) || !a.activation_path) {
				log('warn', `work with activation uid "${String(a.activation_uid).slice(0, 40)}" ${a.activation_path ? '' : 'and no path '}is not usable: skipped`);
				return dropWork();
			}
			if (a.direction === 'initial') return dropWork();
		}
		if (a.direction === 'backward') return backward(a);
		if (a.direction === 'forward') return forward(a);
		if (a.reason === 'not training') return mergeSequence();
		if (layer === 0 && a.reason !== 'out_of_cache') return startSample();
		waiting(a.reason === 'out_of_cache' ? 'backward passes for the cached activations (cache full)' : `activations from layer ${layer - 1}`);
		await sleep(pollMs);
	}

	/** Work given up: pause before asking again, longer for each one in a row. */
	async function dropWork(): Promise<void> {
		dropped++;
		waiting('usable work (the last item was skipped)');
		await sleep(dropPause(pollMs, dropped));
	}

	// ---- failures
	let fatalError: string | null = null;
	function fatal(message: string) {
		if (fatalError) return;
		fatalError = message;
		dispatch({type: 'error', message, fatal: true, at: now()});
		stopCtl.abort();
	}

	async function recover(error: unknown, failures: number): Promise<void> {
		if (error instanceof Stopped || stopSignal.aborted) return;
		if (error instanceof VersionMismatchError) return fatal(`${error.detail} The orchestrator runs another version: update iota-tui.`);
		const message = errorMessage(error);
		dispatch({type: 'error', message, fatal: false, at: now()});
		if (restarting) return;
		if (error instanceof OrchestratorError) {
			if (error.status === 404) needRegister = true;
			if (error.status === 403) {
				waiting('the hotkey to be in the subnet metagraph');
				await sleep(Math.min(30_000, pollMs * 10));
				needRegister = true;
				return;
			}
			if (error.status === 429) {
				waiting('the rate limit');
				await sleep(Math.min(30_000, pollMs * 2 ** failures));
				return;
			}
			if (error.status === 0 || error.status >= 500 || failures >= 3) {
				// v1: after a failed call, healthcheck; when that fails too, re-register.
				for (let i = 0; ; i++) {
					checkStop();
					try {
						await client.healthcheck();
						heartbeat();
						break;
					} catch {
						waiting(`the orchestrator at ${client.url} to answer (healthcheck)`);
						await sleep(Math.min(30_000, 1000 * 2 ** i));
					}
				}
				needRegister = true;
			}
		}
		await sleep(Math.min(10_000, pollMs * 2 ** Math.min(failures, 4)));
	}

	// ---- background: score, incentive, registration
	function every(ms: number, fn: () => Promise<void>) {
		let running = false;
		const tick = () => {
			if (running || stopSignal.aborted) return;
			running = true;
			void fn()
				.catch(() => {})
				.finally(() => (running = false));
		};
		const t = setInterval(tick, ms);
		t.unref();
		timers.add(t as unknown as NodeJS.Timeout);
		tick();
	}
	async function pollScore(): Promise<void> {
		let score: number | null = null;
		try {
			score = (await client.minerDetail()).score;
			heartbeat();
		} catch {
			score = store.getState().score?.score ?? null;
		}
		let incentive: number | null = null;
		let emission: string | null = null;
		if (chain) {
			const n = await chain.neuron(netuid, hotkey).catch(() => null);
			incentive = n?.incentive ?? null;
			emission = n?.emission ?? null;
		}
		dispatch({type: 'score', score, incentive, emission, emulated, at: now()});
	}

	// ---- main
	const loop = (async () => {
		try {
			await chainRegistration();
			checkStop();
			for (let i = 0; ; i++) {
				checkStop();
				try {
					await register();
					break;
				} catch (error) {
					if (error instanceof OrchestratorError && error.status === 403 && i === 0) log('warn', 'the orchestrator does not see the hotkey on the subnet yet');
					if (error instanceof OrchestratorError && error.status !== 0 && error.status !== 403 && error.status < 500) throw error;
					waiting(`registration with the orchestrator at ${client.url} (${errorMessage(error)})`);
					await sleep(Math.min(30_000, 1000 * 2 ** Math.min(i, 5)));
				}
			}
			const s = await client.settings();
			settings = s;
			allowHosts.push(...(s.store_hosts ?? []));
			dispatch({type: 'settings', settings: {...s, batchesBeforeMerging: s.batches_before_merging, layers: s.layers}});
			config = typeof opts.model === 'object' ? opts.model : getConfig(opts.model ?? 'devnet');
			if (config.splits.length !== s.layers) throw new UserError(`the orchestrator trains ${s.layers} layers but model config "${config.name}" has ${config.splits.length} stages (pick another --model)`);
			await startTrainer();
			const dir = join(opts.dataDir, 'uploads', hotkey);
			mkdirSync(dir, {recursive: true});
			queue = await UploadQueue.open({
				dir,
				concurrency: opts.uploadConcurrency ?? 2,
				maxPending: opts.maxPendingUploads ?? 32,
				run: runJob,
				onChange: item => {
					if (item.state === 'failed') stats.uploadsFailed++;
					dispatch({type: 'upload', item});
				},
				onWarning: t => log('warn', t),
			});
			sampleTokenizer ??= byteSampleTokenizer;
			if (sampleTokenizer.vocabSize > config.vocabSize || (opts.tokenizer && sampleTokenizer.vocabSize !== config.vocabSize)) {
				throw new UserError(`tokenizer ${sampleTokenizer.name} has ${sampleTokenizer.vocabSize} ids but model config "${config.name}" a ${config.vocabSize}-token vocabulary (pick a matching --model or --tokenizer)`);
			}
			if (layer === 0) await headSamples();
			await syncLayer();
			every(opts.scorePollMs ?? 15_000, pollScore);
			every(opts.registrationCheckMs ?? 100_000, async () => {
				if (!(await client.isRegistered())) {
					log('warn', 'the orchestrator no longer knows this miner: registering again');
					needRegister = true;
				}
			});
			let failures = 0;
			while (!stopSignal.aborted) {
				try {
					await step();
					failures = 0;
				} catch (error) {
					failures++;
					await recover(error, failures).catch(e => {
						if (!(e instanceof Stopped)) throw e;
					});
				}
			}
		} catch (error) {
			if (!(error instanceof Stopped) && !stopSignal.aborted) fatal(errorMessage(error));
		}
	})();

	// stop() ends within ~9 s whatever the miner waits for: every step below has its own limit.
	const capped = (p: Promise<unknown>, ms: number) => Promise.race([p.catch(() => {}), new Promise(r => setTimeout(r, ms).unref())]);
	let stopping: Promise<void> | null = null;
	const stop = () => {
		stopping ??= (async () => {
			dispatch({type: 'stopping', at: now()});
			stopCtl.abort();
			for (const t of timers) clearInterval(t);
			// Requests in flight are aborted by the signal; the worker call in flight may take a moment.
			await capped(loop, 2000);
			if (queue) await drain(queue, opts.drainMs ?? 4000);
			uploadsCtl.abort();
			if (queue) await capped(queue.close({abort: true}).catch(e => log('warn', `upload queue close: ${errorMessage(e)}`)), 1500);
			await capped(trainer?.close() ?? Promise.resolve(), 1500);
			if (ownChain) await capped(chain?.close() ?? Promise.resolve(), 1000);
			dispatch({type: 'stopped', at: now()});
		})();
		return stopping;
	};
	async function drain(q: UploadQueue, ms: number): Promise<void> {
		const deadline = now() + ms;
		for (;;) {
			// Counts enqueues still writing their file too: one that lands after the drain would stay queued.
			const left = q.unfinished;
			if (left === 0 || now() > deadline) {
				if (left > 0) log('warn', `${left} upload${left > 1 ? 's' : ''} left on disk; they resume on the next start`);
				return;
			}
			waiting(`uploads to finish (${left} left)`);
			await new Promise(r => setTimeout(r, 100));
		}
	}
	opts.signal?.addEventListener('abort', () => void stop(), {once: true});
	if (opts.signal?.aborted) void stop();
	// A fatal error stops the miner by itself (after its uploads are drained or persisted).
	// Settles when stop() is over, even if a call of the loop never returns.
	const done = Promise.race([loop, stopCtl.signal.aborted ? Promise.resolve() : new Promise(r => stopSignal.addEventListener('abort', r, {once: true}))]).then(() => stop());
	return {stop, done, stats: () => ({...stats}), fatalError: () => fatalError};
}
