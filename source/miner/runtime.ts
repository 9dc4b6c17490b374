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
import {UploadQueue} from '../storage/upload-queue.js';
import {bf16ToBytes, bytesToBf16} from '../training/bf16.js';
import {TrainerClient} from '../training/client.js';
import {getConfig, type ModelConfig} from '../training/config.js';
import {byteSampleTokenizer} from '../training/data.js';
import type {SampleTokenizer} from '../training/head-data.js';
import type {TensorData} from '../training/tensor-data.js';
import {int32Ids, type TextSamples} from '../training/text-samples.js';
import {decodeWire, encodeWire, type WireExpect} from '../training/wire.js';
import {dropPause, maxActivationBytes, within} from './guards.js';
import type {MinerHandle, MinerOptions, MinerStats} from './options.js';
import type {FetchTensor, ProtocolHost, RunSettings, Work} from './protocol.js';
import type {Phase, UploadKind} from './types.js';
import {createV1Protocol} from './v1/adapter.js';

export type {MinerHandle, MinerOptions, MinerStats} from './options.js';

class Stopped extends Error {
	constructor() {
		super('stopped');
	}
}

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
	let settings: RunSettings | null = null;
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

	/** Waits for queued uploads, at most `ms`, and not past stop(). */
	const uploaded = (ids: string[], ms: number, what: string) => within(Promise.all(ids.map(id => queue!.whenDone(id))), ms, what, stopSignal, () => new Stopped());
	const host: ProtocolHost = {
		hotkey,
		get layer() {
			return layer;
		},
		stats,
		stopSignal,
		uploadsSignal: uploadsCtl.signal,
		dispatch,
		log,
		waiting,
		heartbeat,
		enqueue,
		uploaded,
	};
	const protocol = createV1Protocol(host, {url: opts.orchestratorUrl, signer: opts.hotkeyPair, attempts: opts.clientAttempts, backoffMs: opts.clientBackoffMs, storeHosts: opts.storeHosts});
	const network = opts.network ?? 'devnet';
	dispatch({type: 'started', at: now(), hotkey, network, chainUrl: opts.chain?.url ?? opts.chainUrl ?? '', orchestratorUrl: protocol.url});

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
		waiting(`registration with the orchestrator at ${protocol.url}`);
		const r = await protocol.register();
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
		await protocol.deliver({id: uid, direction: 'forward', body: encodeWire(r.output!), tokenIds: initialBody});
		dropped = 0;
	}

	// Activations, gradients and token ids travel as torch.save tensors (bf16 / int64), size-capped.
	const idsExpect: WireExpect = {kind: 'ids', shape: [null, null], what: 'token ids'};
	const actExpect = (what: string): WireExpect => ({kind: 'activation', shape: [null, null, config.bottleneckDim], what});
	const fetchTensor = async (fetch: FetchTensor, expect: WireExpect) => decodeWire(await fetch(maxActivationBytes(config)), expect);

	async function forward(a: Extract<Work, {kind: 'forward'}>): Promise<void> {
		const uid = a.id;
		const last = layer === settings!.layers - 1;
		waiting(`download of activation ${uid.slice(0, 8)}`);
		const input = await fetchTensor(a.input, actExpect(`activation ${uid.slice(0, 8)}`));
		const tokens = input.shape[0]! * input.shape[1]!;
		if (!last) {
			waiting(null);
			const t0 = now();
			const r = await trainer!.forward(uid, input);
			saved.add(uid);
			dispatch({type: 'batch', direction: 'forward', activationUid: uid, tokens, ms: now() - t0, at: now()});
			await protocol.deliver({id: uid, direction: 'forward', body: encodeWire(r.output!)});
			dropped = 0;
			return;
		}
		if (!a.targets) {
			log('warn', `activation ${uid.slice(0, 8)} came without its token ids (initial activation): skipped`);
			return;
		}
		const ids = await fetchTensor(a.targets, idsExpect);
		waiting(null);
		let t0 = now();
		await trainer!.forward(uid, input, {dtype: 'int32', shape: ids.shape, data: ids.data});
		dispatch({type: 'batch', direction: 'forward', activationUid: uid, tokens, ms: now() - t0, at: now()});
		t0 = now();
		const r = await trainer!.backward(uid);
		dispatch({type: 'batch', direction: 'backward', activationUid: uid, tokens, ms: now() - t0, at: now()});
		await protocol.deliver({id: uid, direction: 'backward', body: encodeWire(r.inputGrad!)});
		dropped = 0;
		const loss = r.loss!;
		dispatch({type: 'loss', value: loss, at: now()});
		await protocol.reportLoss(uid, loss);
		await afterBackward();
	}

	async function backward(a: Extract<Work, {kind: 'backward'}>): Promise<void> {
		const uid = a.id;
		if (!saved.has(uid)) {
			// Not ours (a worker restart, or an orchestrator naming an unknown uid): pause, do not spin.
			log('warn', `backward for ${uid.slice(0, 8)} but this worker holds no forward for it: skipped`);
			return dropWork();
		}
		waiting(`download of gradient ${uid.slice(0, 8)}`);
		const grad = await fetchTensor(a.input, actExpect(`gradient ${uid.slice(0, 8)}`));
		waiting(null);
		const t0 = now();
		const r = await trainer!.backward(uid, grad);
		saved.delete(uid);
		dispatch({type: 'batch', direction: 'backward', activationUid: uid, tokens: grad.shape[0]! * grad.shape[1]!, ms: now() - t0, at: now()});
		// Layer 0 has no input gradient; v1 still publishes an object for the backward.
		const body = encodeWire(r.inputGrad ?? {dtype: 'float32', shape: [1], data: new Float32Array([0]).buffer});
		await protocol.deliver({id: uid, direction: 'backward', body});
		dropped = 0;
		await afterBackward();
	}

	async function learningRate(): Promise<number> {
		if (lr && now() - lr.at < 10_000) return lr.value;
		try {
			lr = {value: await protocol.learningRate(), at: now()};
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
		const every = opts.localSteps ?? settings!.batchesBeforeMerging;
		if (every > 0 && backwardsSinceStep >= every) await optimizerStep();
	}

	// ---- merging
	function setPhase(phase: Phase) {
		if (store.getState().phase !== phase || store.getState().layer !== layer) dispatch({type: 'phase', layer, phase, at: now()});
	}

	async function layerStatus() {
		const r = await protocol.phase(layer);
		setPhase(r.phase);
		return r;
	}

	async function waitPhase(targets: Phase[], what: string): Promise<Phase> {
		const deadline = now() + (settings!.phaseTimeoutS + 60) * 1000;
		for (;;) {
			const r = await layerStatus();
			if (targets.includes(r.phase)) return r.phase;
			if (now() > deadline) throw new UserError(`layer ${layer} stayed in ${r.phase} past the phase timeout`);
			waiting(what);
			await sleep(phasePollMs);
		}
	}

	async function layerEpoch(): Promise<number> {
		return protocol.epoch(layer);
	}

	async function submitWeights(numSections: number, epoch: number): Promise<boolean> {
		await optimizerStep();
		waiting('weights export from the training worker');
		const w = await trainer!.exportWeights('bf16');
		const o = await trainer!.exportOptimizerState('bf16');
		if (!(await protocol.submitWeights({weights: w, optimizerState: o, sections: numSections, epoch}))) return false;
		stats.weightsSubmitted++;
		log('info', `weights submitted (${numSections} sections, epoch ${epoch})`);
		return true;
	}

	async function mergeChunks(epoch: number): Promise<void> {
		const round = await protocol.mergeRound({epoch, numParams: trainer!.info!.numParams});
		if (!round) return;
		const pending: string[] = [];
		const merged: number[] = [];
		for (const chunk of round.chunks) {
			const ids = await round.mergeChunk(chunk);
			if (!ids) continue;
			pending.push(...ids);
			merged.push(chunk);
		}
		if (merged.length === 0) return;
		const s = merged.length > 1 ? 's' : '';
		waiting(`merged partition upload (${merged.length} chunk${s})`);
		await uploaded(pending, 30 * 60_000, 'merged partition upload');
		const message = await round.publish();
		if (message === null) return;
		stats.partitionsMerged += merged.length;
		log('info', `merged chunk${s} ${merged.join(', ')} (${message})`);
	}

	/** Downloads the layer's merged partitions into the worker's weights and optimizer state. */
	async function syncLayer(): Promise<boolean> {
		waiting(`merged weights of layer ${layer}`);
		const merged = await protocol.mergedLayer(layer);
		if (!merged) return false;
		const w = bytesToBf16(await trainer!.exportWeights('bf16')).slice();
		const o = bytesToBf16(await trainer!.exportOptimizerState('bf16')).slice();
		await merged.apply(w, o);
		await trainer!.importWeights(bf16ToBytes(w), 'bf16');
		await trainer!.importOptimizerState(bf16ToBytes(o), 'bf16');
		const parts = merged.parts;
		log('info', `loaded the merged layer ${layer} (${parts} partition${parts > 1 ? 's' : ''})`);
		return true;
	}

	async function mergeSequence(): Promise<void> {
		waiting(`the phase of layer ${layer}`);
		const first = await layerStatus();
		if (first.phase === 'is_training') return;
		const epochBefore = await layerEpoch();
		let status: Phase = first.phase;
		let submitted = false;
		if (status === 'weights_uploading') {
			submitted = await submitWeights(first.sections, epochBefore);
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
		const work = await protocol.nextWork();
		if (work.phase && store.getState().phase !== work.phase) setPhase(work.phase);
		if (work.kind === 'unusable') return dropWork();
		if (work.kind === 'backward') return backward(work);
		if (work.kind === 'forward') return forward(work);
		if (work.kind === 'merge') return mergeSequence();
		if (layer === 0 && !work.cacheFull) return startSample();
		waiting(work.cacheFull ? 'backward passes for the cached activations (cache full)' : `activations from layer ${layer - 1}`);
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
		const f = protocol.fault(error);
		if (f?.kind === 'version') return fatal(`${f.detail} The orchestrator runs another version: update iota-tui.`);
		const message = errorMessage(error);
		dispatch({type: 'error', message, fatal: false, at: now()});
		if (restarting) return;
		if (f) {
			if (f.kind === 'unregistered') needRegister = true;
			if (f.kind === 'not_in_metagraph') {
				waiting('the hotkey to be in the subnet metagraph');
				await sleep(Math.min(30_000, pollMs * 10));
				needRegister = true;
				return;
			}
			if (f.kind === 'rate_limited') {
				waiting('the rate limit');
				await sleep(Math.min(30_000, pollMs * 2 ** failures));
				return;
			}
			if (f.kind === 'unreachable' || failures >= 3) {
				// v1: after a failed call, healthcheck; when that fails too, re-register.
				for (let i = 0; ; i++) {
					checkStop();
					try {
						await protocol.healthcheck();
						break;
					} catch {
						waiting(`the orchestrator at ${protocol.url} to answer (healthcheck)`);
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
			score = await protocol.score();
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
					const f = protocol.fault(error);
					if (f?.kind === 'not_in_metagraph' && i === 0) log('warn', 'the orchestrator does not see the hotkey on the subnet yet');
					if (f && f.kind !== 'unreachable' && f.kind !== 'not_in_metagraph') throw error;
					waiting(`registration with the orchestrator at ${protocol.url} (${errorMessage(error)})`);
					await sleep(Math.min(30_000, 1000 * 2 ** Math.min(i, 5)));
				}
			}
			const s = await protocol.settings();
			settings = s;
			dispatch({type: 'settings', settings: s.display});
			config = typeof opts.model === 'object' ? opts.model : getConfig(opts.model ?? 'devnet');
			if (config.splits.length !== s.layers) throw new UserError(`the orchestrator trains ${s.layers} layers but model config "${config.name}" has ${config.splits.length} stages (pick another --model)`);
			await startTrainer();
			const dir = join(opts.dataDir, 'uploads', hotkey);
			mkdirSync(dir, {recursive: true});
			queue = await UploadQueue.open({
				dir,
				concurrency: opts.uploadConcurrency ?? 2,
				maxPending: opts.maxPendingUploads ?? 32,
				run: job => protocol.runUpload(job),
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
				if (!(await protocol.isRegistered())) {
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
