// Both CPU cores for a batch: the training worker starts N-1 helper workers holding the same stage weights, and each
// micro-batch's rows are split among them and this worker. Each part computes its rows' outputs (or loss), input
// gradients and weight gradients at once; the helpers' weight gradients are summed into this worker's before the
// optimizer step, which runs here alone, and the stepped (or imported) weights are sent back to the helpers, so
// the weights stay identical. The mean loss of a batch is the row-weighted mean of the parts' means, so the tail's
// and the whole model's gradients are scaled by each part's share of the rows (a body stage's sum needs none).
import {TrainerClient} from './client.js';
import type {LlamaModelTrainer} from './llama-model-trainer.js';
import type {LlamaTrainer} from './llama-trainer.js';
import type {InitOptions, StepResult} from './protocol.js';
import type {TensorData} from './tensor-data.js';

type Trainer = LlamaTrainer | LlamaModelTrainer;

/** Rows [start, start + count) of a [rows, ...] tensor, as a new buffer. */
function rows(d: TensorData, start: number, count: number): TensorData {
	const per = d.data.byteLength / d.shape[0]!;
	return {dtype: d.dtype, shape: [count, ...d.shape.slice(1)], data: d.data.slice(start * per, (start + count) * per)};
}

function joinRows(parts: TensorData[]): TensorData {
	const out = new Uint8Array(parts.reduce((s, p) => s + p.data.byteLength, 0));
	let at = 0;
	for (const p of parts) { out.set(new Uint8Array(p.data), at); at += p.data.byteLength; }
	return {dtype: parts[0]!.dtype, shape: [parts.reduce((s, p) => s + p.shape[0]!, 0), ...parts[0]!.shape.slice(1)], data: out.buffer};
}

/** Row counts of `n` rows over `k` parts, largest first (this worker's part is the first). */
export function splitCounts(n: number, k: number): number[] {
	const parts = Math.min(n, k);
	return Array.from({length: parts}, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

const weighted = (values: number[], counts: number[]) => values.reduce((s, v, i) => s + v * counts[i]!, 0) / counts.reduce((a, b) => a + b, 0);

export class RowSplit {
	/** Row counts per saved forward key (absent: not split). */
	private splits = new Map<string, number[]>();
	/** Whether the helpers hold gradients not yet summed here. */
	private pending = false;

	private constructor(private readonly trainer: Trainer, private readonly helpers: TrainerClient[]) {}

	/** Starts `threads - 1` helpers with these options on one thread each (same seed: the same initial weights). */
	static async start(trainer: Trainer, options: InitOptions, threads: number): Promise<RowSplit> {
		const started = await Promise.allSettled(Array.from({length: threads - 1}, () => TrainerClient.start({...options, threads: 1, split: false})));
		const helpers = started.flatMap(r => (r.status === 'fulfilled' ? [r.value] : []));
		const failed = started.find(r => r.status === 'rejected');
		if (failed) {
			await Promise.all(helpers.map(h => h.close()));
			throw (failed as PromiseRejectedResult).reason;
		}
		// A helper that dies takes this worker with it: the client sees one crash and restart() starts them all afresh.
		for (const h of helpers) h.onCrash(error => setImmediate(() => { throw new Error(`row-split helper: ${error.message}`); }));
		return new RowSplit(trainer, helpers);
	}

	get threads(): number { return this.helpers.length + 1; }

	private counts(d: TensorData): number[] { return splitCounts(d.shape[0]!, this.threads); }

	/** Runs the helpers' parts (started first, so they compute while this thread does) and this worker's. */
	private async each<T>(counts: number[], mine: () => Promise<T>, theirs: (h: TrainerClient, k: number) => Promise<T>): Promise<T[]> {
		const others = counts.slice(1).map((_, k) => theirs(this.helpers[k]!, k + 1));
		const results = await Promise.allSettled([mine(), ...others]);
		const bad = results.find(r => r.status === 'rejected');
		if (bad) throw (bad as PromiseRejectedResult).reason;
		return results.map(r => (r as PromiseFulfilledResult<T>).value);
	}

	async forward(key: string, input: TensorData, ids?: TensorData): Promise<{output?: TensorData; loss?: number}> {
		this.drop(key);
		const counts = this.counts(input);
		if (counts.length === 1) return this.trainer.forward(key, input, ids);
		const starts = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
		const part = (d: TensorData | undefined, i: number) => (d ? rows(d, starts[i]!, counts[i]!) : undefined);
		this.splits.set(key, counts);
		try {
			const r = await this.each(counts, () => this.trainer.forward(key, part(input, 0)!, part(ids, 0)), (h, i) => h.forward(key, part(input, i)!, part(ids, i)));
			return r[0]!.output ? {output: joinRows(r.map(x => x.output!))} : {loss: weighted(r.map(x => x.loss!), counts)};
		} catch (error) {
			this.drop(key);
			throw error;
		}
	}

	async backward(key: string, grad?: TensorData): Promise<{inputGrad?: TensorData; loss?: number}> {
		const counts = this.splits.get(key);
		if (!counts) return this.trainer.backward(key, grad);
		this.splits.delete(key);
		const total = counts.reduce((a, b) => a + b, 0);
		// The tail's (no output gradient) loss is a mean over its rows: each part's gradient counts by its share.
		const scale = (i: number) => (grad ? 1 : counts[i]! / total);
		const starts = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
		const part = (i: number) => (grad ? rows(grad, starts[i]!, counts[i]!) : undefined);
		this.pending = true;
		try {
			const r = await this.each(counts, () => (this.trainer as LlamaTrainer).backward(key, part(0), scale(0)), (h, i) => h.backward(key, part(i), scale(i)));
			return {...(r[0]!.inputGrad ? {inputGrad: joinRows(r.map(x => x.inputGrad!))} : {}), ...(r[0]!.loss !== undefined ? {loss: weighted(r.map(x => x.loss!), counts)} : {})};
		} catch (error) {
			for (const h of this.helpers) await h.drop(key).catch(() => {});
			throw error;
		}
	}

	async trainBatch(ids: TensorData): Promise<number> {
		const counts = this.counts(ids);
		const total = ids.shape[0]!;
		const starts = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
		if (counts.length > 1) this.pending = true;
		const r = await this.each(counts, () => (this.trainer as LlamaModelTrainer).trainBatch(rows(ids, 0, counts[0]!), counts[0]! / total),
			(h, i) => h.trainBatch(rows(ids, starts[i]!, counts[i]!), counts[i]! / total).then(x => x.loss));
		return weighted(r, counts);
	}

	async evalLoss(ids: TensorData): Promise<number> {
		const counts = this.counts(ids);
		const starts = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
		const r = await this.each(counts, () => this.trainer.evalLoss(rows(ids, 0, counts[0]!)), (h, i) => h.evalLoss(rows(ids, starts[i]!, counts[i]!)).then(x => x.loss));
		return weighted(r, counts);
	}

	/** Sums the helpers' gradients here (once), then the step here, then the new weights to the helpers. */
	async step(lr: number): Promise<StepResult> {
		await this.gather();
		const r = await this.trainer.step(lr);
		await this.broadcast();
		return r;
	}

	private async gather(): Promise<void> {
		if (!this.pending) return;
		for (const h of this.helpers) {
			this.trainer.addGradients(await h.exportGradients());
			await h.resetGradients();
		}
		this.pending = false;
	}

	private async broadcast(): Promise<void> {
		const w = await this.trainer.exportWeights();
		const bytes = new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
		await Promise.all(this.helpers.map(h => h.importWeights(bytes.slice(), 'f32')));
	}

	async importWeights(flat: Float32Array): Promise<void> {
		await this.trainer.importWeights(flat);
		await this.broadcast();
	}

	async exportGradients(): Promise<Float32Array> {
		await this.gather();
		return this.trainer.exportGradients();
	}

	drop(key: string): void {
		this.trainer.drop(key);
		if (this.splits.delete(key)) for (const h of this.helpers) h.drop(key).catch(() => {});
	}

	async close(): Promise<void> { await Promise.all(this.helpers.map(h => h.close())); }
}

/** Whether a worker with these options splits rows: more than one thread, a batch of 2 or more, a CPU backend. */
export function wantsSplit(options: InitOptions, threads: number): boolean {
	if (options.split === false || threads < 2 || options.config.batchSize < 2) return false;
	const b = options.backend ?? 'auto';
	// A forced cpu backend (the tests' and the last fallback) splits only when asked for threads outright.
	return b === 'auto' || b === 'wasm' || (b === 'cpu' && options.threads !== undefined);
}
