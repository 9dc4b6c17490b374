// Training worker: owns TF.js and a trainer (one stage, or the whole model), answers one request at a time.
import {parentPort} from 'node:worker_threads';
import {UserError, errorMessage} from '../errors.js';
import {initBackend} from './backend.js';
import {bytesToBf16, bf16ToBytes, fromBf16, toBf16} from './bf16.js';
import type {Envelope, Reply, VectorFormat} from './protocol.js';
import {LlamaModelTrainer} from './llama-model-trainer.js';
import {LlamaTrainer} from './llama-trainer.js';
import {RowSplit, wantsSplit} from './row-split.js';
import {defaultThreads} from './wasm-threads.js';

if (!parentPort) throw new Error('worker.ts must run as a worker thread');
const port = parentPort;
let trainer: LlamaTrainer | LlamaModelTrainer | undefined;
let rows: RowSplit | undefined;

/** "wasm (SIMD, 1 thread)" -> "wasm (SIMD, 2 threads, rows split)"; cpu's likewise. */
const splitDetail = (detail: string, threads: number) => detail.replace(/(, 1 thread)?\)$/, `, ${threads} threads, rows split)`);

const need = () => {
	if (!trainer) throw new UserError('trainer not initialised');
	return trainer;
};

function encode(v: Float32Array, format: VectorFormat): ArrayBuffer {
	return (format === 'bf16' ? bf16ToBytes(toBf16(v)) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice()).buffer as ArrayBuffer;
}

function decode(data: ArrayBuffer, format: VectorFormat): Float32Array {
	return format === 'bf16' ? fromBf16(bytesToBf16(new Uint8Array(data))) : new Float32Array(data);
}

async function handle(m: Envelope): Promise<unknown> {
	switch (m.op) {
		case 'init': {
			const threads = m.options.threads ?? defaultThreads();
			const split = wantsSplit(m.options, threads);
			// Split rows: every training thread runs wasm on one thread; else wasm's own pool takes them all.
			const backend = await initBackend(m.options.backend ?? 'auto', split ? 1 : threads);
			await rows?.close();
			rows = undefined;
			trainer?.dispose();
			trainer = undefined;
			trainer = m.options.stages.length === 1 ? new LlamaTrainer(m.options) : new LlamaModelTrainer(m.options);
			let info = backend;
			if (split && (backend.name === 'wasm' || backend.name === 'cpu')) {
				rows = await RowSplit.start(trainer, {...m.options, backend: backend.name}, threads);
				info = {...backend, detail: splitDetail(backend.detail, threads)};
			}
			return {backend: info, numParams: trainer.numParams, clipNorm: trainer.clipNorm, ...(trainer instanceof LlamaModelTrainer ? {clipNorms: trainer.clipNorms} : {})};
		}
		// A row split hands each call's rows out; scale (a helper's share) reaches the trainer directly.
		case 'forward': return (rows ?? need()).forward(m.key, m.input, m.ids);
		case 'backward': return rows ? rows.backward(m.key, m.grad) : need().backward(m.key, m.grad, m.scale);
		case 'trainBatch': return {loss: await (rows ? rows.trainBatch(m.ids) : need().trainBatch(m.ids, m.scale))};
		case 'evalLoss': return {loss: await (rows ?? need()).evalLoss(m.ids)};
		case 'step': return (rows ?? need()).step(m.lr);
		case 'exportWeights': return {data: encode(await need().exportWeights(), m.format)};
		case 'importWeights': await (rows ?? need()).importWeights(decode(m.data, m.format)); return {};
		case 'exportOptimizerState': return {data: encode(await need().exportOptimizerState(), m.format)};
		case 'importOptimizerState': await need().importOptimizerState(decode(m.data, m.format), m.step); return {};
		case 'exportGradients': {
			const g = await (rows ?? need()).exportGradients();
			return {data: g.buffer};
		}
		case 'resetGradients': need().resetGradients(); return {};
		case 'drop': (rows ?? need()).drop(m.key); return {};
		case 'stats': return {...need().stats(), rssBytes: process.memoryUsage().rss};
		case 'crashForTest':
			// Throw outside the request chain, with this request still open, so the thread dies like a real crash.
			setImmediate(() => { throw new Error('worker crash requested by test'); });
			return new Promise(() => {});
	}
}

// Buffers in results travel as transfers, not copies.
function transfers(result: unknown): ArrayBuffer[] {
	const out: ArrayBuffer[] = [];
	const walk = (x: unknown) => {
		if (x instanceof ArrayBuffer) out.push(x);
		else if (x && typeof x === 'object') Object.values(x).forEach(walk);
	};
	walk(result);
	return out;
}

let chain = Promise.resolve();
port.on('message', (m: Envelope) => {
	chain = chain.then(async () => {
		let reply: Reply;
		try {
			const result = await handle(m);
			reply = {id: m.id, ok: true, result};
		} catch (error) {
			reply = {id: m.id, ok: false, error: errorMessage(error), userError: error instanceof UserError, exitCode: error instanceof UserError ? error.exitCode : 1};
		}
		port.postMessage(reply, reply.ok ? transfers(reply.result) : []);
	});
});
