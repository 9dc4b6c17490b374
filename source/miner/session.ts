// One miner's lifecycle over a MinerProtocol: chain registration, orchestrator registration,
// settings, the training worker (restarted after crashes), the upload queue, the work/merge loop,
// and stop(): drain what can be uploaded in time, keep the rest on disk, close everything.
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {UserError, errorMessage} from '../errors.js';
import {UploadQueue} from '../storage/upload-queue.js';
import {TrainerClient} from '../training/client.js';
import {getConfig} from '../training/config.js';
import {byteSampleTokenizer} from '../training/data.js';
import {deviceVerdict, nvidiaPresent} from '../training/device.js';
import {ChainWatch, startChainWatch} from './chain-watch.js';
import {MinerContext, Stopped} from './context.js';
import {mergeSequence} from './merge.js';
import type {MinerHandle, MinerOptions} from './options.js';
import type {MinerProtocol, ProtocolHost} from './protocol.js';
import {recover, register, startBackground, syncLayer} from './sync.js';
import {headSamples, trainOnce} from './work.js';

// stop() ends within ~9 s whatever the miner waits for: every step below has its own limit.
const capped = (p: Promise<unknown>, ms: number) => Promise.race([p.catch(() => {}), new Promise(r => setTimeout(r, ms).unref())]);

export class MinerSession {
	readonly ctx: MinerContext;
	private readonly watch: ChainWatch;
	private readonly loop: Promise<void>;
	private stopping: Promise<void> | null = null;

	constructor(opts: MinerOptions, protocol: (host: ProtocolHost) => MinerProtocol) {
		const ctx = (this.ctx = new MinerContext(opts));
		ctx.protocol = protocol(ctx);
		this.watch = new ChainWatch(ctx);
		ctx.dispatch({type: 'started', at: ctx.now(), hotkey: ctx.hotkey, network: opts.network ?? 'devnet', chainUrl: opts.chain?.url ?? opts.chainUrl ?? '', orchestratorUrl: ctx.protocol.url});
		this.loop = this.run();
	}

	handle(): MinerHandle {
		const {ctx} = this;
		const stop = () => this.stop();
		ctx.opts.signal?.addEventListener('abort', () => void stop(), {once: true});
		if (ctx.opts.signal?.aborted) void stop();
		// A fatal error stops the miner by itself (after its uploads are drained or persisted).
		// Settles when stop() is over, even if a call of the loop never returns.
		const done = Promise.race([this.loop, ctx.stopSignal.aborted ? Promise.resolve() : new Promise(r => ctx.stopSignal.addEventListener('abort', r, {once: true}))]).then(() => stop());
		return {stop, done, stats: () => ({...ctx.stats}), fatalError: () => ctx.fatalError};
	}

	private async run(): Promise<void> {
		const {ctx} = this;
		try {
			await this.setUp();
			let failures = 0;
			while (!ctx.stopSignal.aborted) {
				try {
					await this.step();
					failures = 0;
				} catch (error) {
					failures++;
					await recover(ctx, error, failures).catch(e => {
						if (!(e instanceof Stopped)) throw e;
					});
				}
			}
		} catch (error) {
			if (!(error instanceof Stopped) && !ctx.stopSignal.aborted) ctx.fatal(errorMessage(error));
		}
	}

	/** One turn of the loop: wait out a worker restart, register again if asked to, then work or merge. */
	private async step(): Promise<void> {
		const {ctx} = this;
		if (ctx.restarting) {
			ctx.waiting('the training worker to restart');
			await ctx.restarting;
		}
		if (this.watch.deregistered) await this.watch.regain();
		if (ctx.needRegister) await register(ctx);
		if (!(await trainOnce(ctx))) await mergeSequence(ctx);
	}

	private async setUp(): Promise<void> {
		const {ctx} = this;
		const {opts} = ctx;
		await this.chainRegistration();
		ctx.checkStop();
		await this.registerFirst();
		const s = await ctx.protocol.settings();
		ctx.settings = s;
		ctx.dispatch({type: 'settings', settings: s.display});
		const named = typeof opts.model === 'object' ? opts.model : getConfig(opts.model ?? 'devnet');
		// The run's batch shape, where the orchestrator sets one, wins over the config's (same weights).
		const config = (ctx.config = s.batch ? {...named, batchSize: s.batch.size, seqLen: s.batch.seqLen} : named);
		if (config.splits.length !== s.layers) throw new UserError(`the orchestrator trains ${s.layers} layers but model config "${config.name}" has ${config.splits.length} stages (pick another --model)`);
		await this.startTrainer();
		await this.openQueue();
		const tokenizer = (ctx.sampleTokenizer ??= byteSampleTokenizer);
		if (tokenizer.vocabSize > config.vocabSize || (opts.tokenizer && tokenizer.vocabSize !== config.vocabSize)) {
			throw new UserError(`tokenizer ${tokenizer.name} has ${tokenizer.vocabSize} ids but model config "${config.name}" a ${config.vocabSize}-token vocabulary (pick a matching --model or --tokenizer)`);
		}
		if (ctx.layer === 0 && s.headSamples !== 'orchestrator') await headSamples(ctx);
		await syncLayer(ctx);
		startBackground(ctx);
		startChainWatch(ctx, this.watch);
	}

	private async chainRegistration(): Promise<void> {
		const {ctx} = this;
		const {opts, hotkey, netuid} = ctx;
		if (!ctx.chain && opts.chainUrl) {
			ctx.waiting(`the chain at ${opts.chainUrl}`);
			const {connectChain} = await import('../chain/client.js');
			ctx.chain = await connectChain(opts.chainUrl);
			ctx.ownChain = true;
		}
		const {chain} = ctx;
		if (!chain) return;
		chain.onConnection(ok => ctx.links.set('chain', ok, ok ? '' : `connection to ${chain.url} lost`));
		ctx.emulated = await chain.isDevnet().catch(() => false);
		let uid = await chain.getUid(netuid, hotkey);
		if (uid === null && opts.autoRegister) {
			await this.watch.regain(true);
			return;
		}
		if (uid === null) {
			if (!opts.coldkeyPair) throw new UserError(`hotkey ${hotkey} is not registered on subnet ${netuid} of ${chain.url}: run \`iota-tui register\` first (or mine with --auto --max-burn TAO)`);
			ctx.waiting(`registration of ${hotkey} on subnet ${netuid}`);
			await chain.topUpForRegistration(opts.coldkeyPair.address, netuid);
			uid = (await chain.burnedRegister(opts.coldkeyPair, hotkey, netuid)).uid;
			ctx.log('info', `registered on subnet ${netuid} with uid ${uid}`);
		}
		ctx.uid = uid;
		ctx.dispatch({type: 'chain_registered', uid});
	}

	/** Registers, retrying while the orchestrator is away or does not see the hotkey yet. */
	private async registerFirst(): Promise<void> {
		const {ctx} = this;
		for (let i = 0; ; i++) {
			ctx.checkStop();
			try {
				return await register(ctx);
			} catch (error) {
				const f = ctx.protocol.fault(error);
				if (f?.kind === 'not_in_metagraph' && i === 0) ctx.log('warn', 'the orchestrator does not see the hotkey on the subnet yet');
				if (f && f.kind !== 'unreachable' && f.kind !== 'not_in_metagraph') throw error;
				ctx.waiting(`registration with the orchestrator at ${ctx.protocol.url} (${errorMessage(error)})`);
				await ctx.sleep(Math.min(30_000, 1000 * 2 ** Math.min(i, 5)));
			}
		}
	}

	private async startTrainer(): Promise<void> {
		const {ctx} = this;
		const {opts, config, layer} = ctx;
		ctx.waiting(`the training worker (stage ${layer}, backend ${opts.backend ?? 'auto'})`);
		const useAdamW = ctx.settings?.useAdamW ?? false;
		const trainer = (ctx.trainer = await TrainerClient.start({config, stages: [layer], seed: opts.seed ?? 42, backend: opts.backend ?? 'auto', engine: 'llama3', useAdamW}));
		const b = trainer.info!.backend;
		ctx.dispatch({type: 'backend', name: b.name, detail: `${b.detail}; ${config.name} stage ${layer}, ${trainer.info!.numParams.toLocaleString('en-US')} params, ${useAdamW ? 'AdamW' : 'NAdam'}`});
		const device = deviceVerdict(b, nvidiaPresent());
		ctx.log(device.ok ? 'info' : 'warn', device.ok ? device.text.replace(/^GPU: /, 'training on the GPU: ') : `${device.text}; ${device.fix}`);
		trainer.onCrash(error => this.restartTrainer(error));
	}

	/** A crashed worker restarts and reloads the merged layer; more than 5 crashes in 10 minutes are fatal. */
	private restartTrainer(error: Error): void {
		const {ctx} = this;
		ctx.dispatch({type: 'worker_crash', message: error.message, at: ctx.now()});
		ctx.crashes = [...ctx.crashes.filter(t => ctx.now() - t < 600_000), ctx.now()];
		if (ctx.stopSignal.aborted) return;
		if (ctx.crashes.length > 5) {
			ctx.fatal(`the training worker crashed ${ctx.crashes.length} times in 10 minutes (last: ${error.message})`);
			return;
		}
		ctx.restarting = (async () => {
			ctx.saved.clear();
			ctx.backwardsSinceStep = 0;
			await ctx.trainer!.restart();
			await syncLayer(ctx).catch(e => ctx.log('warn', `after the worker restart: merged layer not loaded: ${errorMessage(e)}`));
			ctx.dispatch({type: 'worker_restarted', at: ctx.now()});
		})()
			.catch(e => ctx.fatal(`the training worker could not restart: ${errorMessage(e)}`))
			.finally(() => (ctx.restarting = null));
	}

	private async openQueue(): Promise<void> {
		const {ctx} = this;
		const dir = join(ctx.opts.dataDir, 'uploads', ctx.hotkey);
		mkdirSync(dir, {recursive: true});
		ctx.queue = await UploadQueue.open({
			dir,
			concurrency: ctx.opts.uploadConcurrency ?? 2,
			maxPending: ctx.opts.maxPendingUploads ?? 32,
			run: job => ctx.protocol.runUpload(job),
			onChange: item => {
				if (item.state === 'failed') ctx.stats.uploadsFailed++;
				ctx.dispatch({type: 'upload', item});
			},
			onWarning: t => ctx.log('warn', t),
		});
	}

	stop(): Promise<void> {
		const {ctx} = this;
		this.stopping ??= (async () => {
			ctx.dispatch({type: 'stopping', at: ctx.now()});
			ctx.stopCtl.abort();
			for (const t of ctx.timers) clearInterval(t);
			// Requests in flight are aborted by the signal; the worker call in flight may take a moment.
			await capped(this.loop, 2000);
			if (ctx.queue) await this.drain(ctx.queue, ctx.opts.drainMs ?? 4000);
			ctx.uploadsCtl.abort();
			if (ctx.queue) await capped(ctx.queue.close({abort: true}).catch(e => ctx.log('warn', `upload queue close: ${errorMessage(e)}`)), 1500);
			// The protocol's own processes (P2P endpoint) close alongside the worker, within the same limit.
			await Promise.all([capped(ctx.trainer?.close() ?? Promise.resolve(), 1500), capped(ctx.protocol.close?.() ?? Promise.resolve(), 1500)]);
			if (ctx.ownChain) await capped(ctx.chain?.close() ?? Promise.resolve(), 1000);
			ctx.dispatch({type: 'stopped', at: ctx.now()});
		})();
		return this.stopping;
	}

	private async drain(q: UploadQueue, ms: number): Promise<void> {
		const {ctx} = this;
		const deadline = ctx.now() + ms;
		for (;;) {
			// Counts enqueues still writing their file too: one that lands after the drain would stay queued.
			const left = q.unfinished;
			if (left === 0 || ctx.now() > deadline) {
				if (left > 0) ctx.log('warn', `${left} upload${left > 1 ? 's' : ''} left on disk; they resume on the next start`);
				return;
			}
			ctx.waiting(`uploads to finish (${left} left)`);
			await new Promise(r => setTimeout(r, 100));
		}
	}
}
