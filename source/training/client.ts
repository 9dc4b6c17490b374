// Main-thread handle to the training worker. Every call is a typed message; tensors travel as
// transferred ArrayBuffers. A crash rejects pending calls and emits 'crash'; restart() starts a fresh worker.
import {EventEmitter} from 'node:events';
import {Worker} from 'node:worker_threads';
import {UserError} from '../errors.js';
import type {Envelope, InitOptions, Reply, Request, Results, VectorFormat} from './protocol.js';
import type {TensorData} from './tensor-data.js';

// Running from .ts (tsx, tests) the worker needs the tsx loader; compiled, it is the .js sibling.
const fromTs = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromTs ? './worker.ts' : './worker.js', import.meta.url);

export class TrainerClient extends EventEmitter {
	private worker: Worker | undefined;
	private nextId = 1;
	private pending = new Map<number, {resolve: (v: any) => void; reject: (e: Error) => void}>();
	private closing = false;
	info: Results['init'] | undefined;

	private constructor(readonly options: InitOptions) { super(); }

	/** Starts a worker and initialises the backend and model; rejects with the worker's error if that fails. */
	static async start(options: InitOptions): Promise<TrainerClient> {
		const client = new TrainerClient(options);
		await client.spawn();
		return client;
	}

	private async spawn(): Promise<void> {
		const worker = fromTs
			// `execArgv: ['--import', 'tsx']` is not enough on Node 20 (the entry loads before the hook), so register first.
			? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(m => { m.register(); return import(${JSON.stringify(workerUrl.href)}); })`, {eval: true})
			: new Worker(workerUrl);
		this.worker = worker;
		this.closing = false;
		worker.on('message', (r: Reply) => {
			const p = this.pending.get(r.id);
			if (!p) return;
			this.pending.delete(r.id);
			if (r.ok) p.resolve(r.result);
			else p.reject(r.userError ? new UserError(r.error, r.exitCode) : new Error(r.error));
		});
		const fail = (error: Error) => {
			if (this.worker !== worker) return;
			this.worker = undefined;
			for (const p of this.pending.values()) p.reject(error);
			this.pending.clear();
			if (!this.closing) this.emit('crash', error);
		};
		worker.on('error', fail);
		worker.on('exit', code => fail(new Error(`training worker exited with code ${code}`)));
		try {
			this.info = await this.call({op: 'init', options: this.options});
		} catch (error) {
			await this.close();
			throw error;
		}
	}

	/** Listens for worker crashes (uncaught error or exit); the error says what happened. */
	onCrash(listener: (error: Error) => void): this { return this.on('crash', listener); }

	get alive(): boolean { return this.worker !== undefined; }

	/** Terminates any old worker and starts a fresh one with the same options (weights back to the seeded init). */
	async restart(): Promise<void> {
		await this.close();
		await this.spawn();
	}

	private call<K extends Request['op']>(req: Extract<Request, {op: K}>, transfer: ArrayBuffer[] = []): Promise<Results[K]> {
		const worker = this.worker;
		if (!worker) return Promise.reject(new UserError('training worker is not running (restart it)'));
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			this.pending.set(id, {resolve, reject});
			worker.postMessage({id, ...req} as Envelope, transfer);
		});
	}

	// The tensor buffers passed in are transferred: the caller's views become empty afterwards.
	forward(key: string, input: TensorData, ids?: TensorData) { return this.call({op: 'forward', key, input, ids}, bufs(input, ids)); }
	/** `scale` (row splits: a part's share of the batch) multiplies the loss's gradients; the default is 1. */
	backward(key: string, grad?: TensorData, scale?: number) { return this.call({op: 'backward', key, grad, scale}, bufs(grad)); }
	trainBatch(ids: TensorData, scale?: number) { return this.call({op: 'trainBatch', ids, scale}, bufs(ids)); }
	evalLoss(ids: TensorData) { return this.call({op: 'evalLoss', ids}, bufs(ids)); }
	step(lr: number) { return this.call({op: 'step', lr}); }
	drop(key: string) { return this.call({op: 'drop', key}); }
	stats() { return this.call({op: 'stats'}); }

	async exportWeights(format: VectorFormat = 'bf16'): Promise<Uint8Array> { return new Uint8Array((await this.call({op: 'exportWeights', format})).data); }
	async importWeights(bytes: Uint8Array, format: VectorFormat = 'bf16'): Promise<void> { const data = own(bytes); await this.call({op: 'importWeights', format, data}, [data]); }
	async exportOptimizerState(format: VectorFormat = 'bf16'): Promise<Uint8Array> { return new Uint8Array((await this.call({op: 'exportOptimizerState', format})).data); }
	async importOptimizerState(bytes: Uint8Array, format: VectorFormat = 'bf16', step?: number): Promise<void> { const data = own(bytes); await this.call({op: 'importOptimizerState', format, data, step}, [data]); }
	async exportGradients(): Promise<Float32Array> { return new Float32Array((await this.call({op: 'exportGradients'})).data); }
	/** Drops the summed gradients without a step (a row-split helper after handing them over). */
	resetGradients() { return this.call({op: 'resetGradients'}); }

	/** For tests: makes the worker throw an uncaught error. */
	crashForTest() { return this.call({op: 'crashForTest'}); }

	async close(): Promise<void> {
		const w = this.worker;
		if (!w) return;
		this.closing = true;
		await w.terminate();
	}
}

const bufs = (...ts: Array<TensorData | undefined>) => [...new Set(ts.filter(t => t !== undefined).map(t => t!.data))];
const own = (b: Uint8Array) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : b.slice().buffer as ArrayBuffer;
