// TF.js wasm's threaded build (XNNPACK on a pthreadpool of Emscripten pthreads) in Node. tfjs-backend-wasm turns
// threads off in Node (tfjs#3830) and hands Emscripten blob: URLs, which Node's Worker cannot start. Three shims:
// 1. the WASM_HAS_MULTITHREAD_SUPPORT flag is set (Node has SharedArrayBuffer, shared wasm memory, worker_threads);
// 2. the global Worker Emscripten uses for its pthreads starts the pthread script from its source (eval) instead of
//    the blob: URL, sends the threaded glue's file path instead of a Blob, and never holds the event loop open;
// 3. the C++ side caps the pool at emscripten_num_logical_cores() / 2 (os.cpus() in Node, read once as the module
//    starts), so os.cpus() reports 2 * threads entries while the backend initialises.
import {createRequire} from 'node:module';
import os from 'node:os';
import {dirname, join} from 'node:path';
import {Worker as NodeWorker, type WorkerOptions} from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** Threads for the CPU backends: IOTA_TUI_THREADS (1 = off), else every core Node can use. */
export function defaultThreads(env: NodeJS.ProcessEnv = process.env): number {
	const raw = env.IOTA_TUI_THREADS?.trim();
	if (raw) {
		const n = Number(raw);
		if (Number.isInteger(n) && n >= 1) return Math.min(n, MAX_THREADS);
	}
	return Math.max(1, Math.min(os.availableParallelism(), MAX_THREADS));
}

/** tfjs-backend-wasm's build starts 8 pthread workers; pthreadpool takes its threads from them. */
export const MAX_THREADS = 8;

let installed = false;

function installWorkerShim(): void {
	if (installed) return;
	const pkg = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
	const glue = join(pkg, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
	// tfjs escapes the newlines inside the script's string literals the same way before making its Blob.
	const source = (require(join(pkg, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as {wasmWorkerContents: string}).wasmWorkerContents.replace(/\n/g, '\\n');
	const args = (url: string | URL, options?: WorkerOptions): [string | URL, WorkerOptions | undefined] =>
		(typeof url === 'string' && url.startsWith('blob:') ? [source, {...options, eval: true}] : [url, options]);
	class PthreadWorker extends NodeWorker {
		constructor(url: string | URL, options?: WorkerOptions) {
			super(...args(url, options));
			this.unref();
		}

		// Emscripten refs a worker while it runs a pthread; pthreadpool's threads run for good, which would keep
		// the process (or the training worker) alive after its last task.
		override ref(): void {}

		override postMessage(message: any, transfer?: any): void {
			if (message?.cmd === 'load' && typeof message.urlOrBlob !== 'string') message = {...message, urlOrBlob: glue};
			super.postMessage(message, transfer);
		}
	}
	// Emscripten assigns worker_threads' Worker to the global when its module starts: keep ours.
	Object.defineProperty(globalThis, 'Worker', {configurable: true, get: () => PthreadWorker, set: () => {}});
	installed = true;
}

/**
 * Runs `init` (the wasm backend's setBackend) with `threads` pthreads when more than one is asked for.
 * Returns the thread count the backend reports.
 */
export async function withWasmThreads(threads: number, init: () => Promise<void>): Promise<number> {
	const [tf, wasm] = await Promise.all([import('@tensorflow/tfjs'), import('@tensorflow/tfjs-backend-wasm')]);
	const n = Math.max(1, Math.min(Math.floor(threads), MAX_THREADS));
	wasm.setThreadsCount(n);
	if (n === 1) {
		await init();
		return wasm.getThreadsCount();
	}
	installWorkerShim();
	tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
	const cpus = os.cpus;
	const one = cpus()[0] ?? ({model: '', speed: 0, times: {user: 0, nice: 0, sys: 0, idle: 0, irq: 0}} as os.CpuInfo);
	os.cpus = () => Array.from({length: 2 * n}, () => one);
	try {
		await init();
	} finally {
		os.cpus = cpus;
	}
	return wasm.getThreadsCount();
}
