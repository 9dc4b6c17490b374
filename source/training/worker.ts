// Training worker: owns TF.js and a trainer (one stage, or the whole model), answers one request at a time.
import {parentPort} from 'node:worker_threads';
import {UserError, errorMessage} from '../errors.js';
import {initBackend} from './backend.js';
import {bytesToBf16, bf16ToBytes, fromBf16, toBf16} from './bf16.js';
import type {Envelope, Reply, VectorFormat} from './protocol.js';
import {LlamaModelTrainer} from './llama-model-trainer.js';
import {LlamaTrainer} from './llama-trainer.js';
import {defaultThreads} from './wasm-threads.js';

if (!parentPort) throw new Error('worker.ts must run as a worker thread');
const port = parentPort;
let trainer: LlamaTrainer | LlamaModelTrainer | undefined;

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
			const backend = await initBackend(m.options.backend ?? 'auto', m.options.threads ?? defaultThreads());
			trainer?.dispose();
			trainer = undefined;
			trainer = m.options.stages.length === 1 ? new LlamaTrainer(m.options) : new LlamaModelTrainer(m.options);
			return {backend, numParams: trainer.numParams, clipNorm: trainer.clipNorm, ...(trainer instanceof LlamaModelTrainer ? {clipNorms: trainer.clipNorms} : {})};
		}
		case 'forward': return need().forward(m.key, m.input, m.ids);
		case 'backward': return need().backward(m.key, m.grad);
		case 'trainBatch': return {loss: await need().trainBatch(m.ids)};
		case 'evalLoss': return {loss: await need().evalLoss(m.ids)};
		case 'step': return need().step(m.lr);
		case 'exportWeights': return {data: encode(await need().exportWeights(), m.format)};
		case 'importWeights': await need().importWeights(decode(m.data, m.format)); return {};
		case 'exportOptimizerState': return {data: encode(await need().exportOptimizerState(), m.format)};
		case 'importOptimizerState': await need().importOptimizerState(decode(m.data, m.format), m.step); return {};
		case 'exportGradients': {
			const g = await need().exportGradients();
			return {data: g.buffer};
		}
		case 'drop': need().drop(m.key); return {};
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
