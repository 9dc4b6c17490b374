// Picks the TF.js backend at run time: cuda (tfjs-node-gpu), webgpu (Dawn), node (tfjs-node), wasm, cpu.
// A forced backend that cannot load is an error; only `auto` falls back.
import {existsSync} from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {UserError, errorMessage} from '../errors.js';

import {backendNames, type BackendChoice, type BackendName} from './backend-names.js';
import {defaultThreads, withWasmThreads} from './wasm-threads.js';

export {backendNames, parseBackend, type BackendChoice, type BackendName} from './backend-names.js';
export type BackendInfo = {name: BackendName; tfBackend: string; detail: string; tried: string[]};

// Dynamic import through a variable so tsc does not need the optional packages' types.
const load = (pkg: string): Promise<unknown> => import(pkg);

async function tryCuda(): Promise<string> {
	await load('@tensorflow/tfjs-node-gpu');
	if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend did not initialise');
	return 'tfjs-node-gpu (libtensorflow CUDA)';
}

async function tryNode(): Promise<string> {
	await load('@tensorflow/tfjs-node');
	if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend did not initialise');
	return 'tfjs-node (libtensorflow CPU)';
}

// Dawn loads Vulkan with dlopen; without a loader it prints warnings and finds nothing, so auto skips it.
const vulkanDirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu'];
const hasVulkanLoader = () => process.platform !== 'linux' || vulkanDirs.some(d => existsSync(`${d}/libvulkan.so.1`));

async function tryWebgpu(auto = false): Promise<string> {
	const g = globalThis as any;
	if (auto && !g.navigator?.gpu && !hasVulkanLoader()) throw new Error('no Vulkan loader (libvulkan.so.1) found');
	if (!g.navigator?.gpu) {
		const webgpu: any = await load('webgpu');
		Object.assign(globalThis, webgpu.globals);
		const gpu = webgpu.create([]);
		// Node 21+ has a read-only navigator getter, so define rather than assign.
		if (g.navigator) Object.defineProperty(g.navigator, 'gpu', {value: gpu, configurable: true});
		else Object.defineProperty(globalThis, 'navigator', {value: {gpu}, configurable: true, writable: true});
	}
	const adapter = await g.navigator.gpu.requestAdapter({powerPreference: 'high-performance'});
	if (!adapter) throw new Error('no WebGPU adapter (no Vulkan driver or GPU found)');
	// Mesa's lavapipe and similar emulate a GPU on the CPU, far slower than wasm: only when forced.
	if (auto && adapter.info?.isFallbackAdapter) throw new Error(`only a software WebGPU adapter (${adapter.info.description || adapter.info.device || 'CPU'}), slower than wasm`);
	// The backend registers itself only if navigator.gpu exists when it is imported.
	const mod: any = await load('@tensorflow/tfjs-backend-webgpu');
	// Our own device instead of tfjs's factory: every limit below at the adapter's maximum (WebGPU's defaults
	// cap a storage binding at 128 MiB, under the 1 GiB embedding and output head of IOTA's 1B model), and the
	// features our kernels may use where the adapter offers them.
	const requiredLimits: Record<string, number> = {};
	for (const k of webgpuLimits) if (typeof adapter.limits?.[k] === 'number') requiredLimits[k] = adapter.limits[k];
	const requiredFeatures = webgpuFeatures.filter(f => adapter.features?.has(f));
	const device = await adapter.requestDevice({requiredLimits, requiredFeatures});
	// A validation error (say a tensor over the binding limit) leaves zeros behind, not an exception: keep the first.
	device.addEventListener?.('uncapturederror', (e: any) => { if (webgpuErrors.length < 50) webgpuErrors.push(String(e.error?.message ?? e).split('\n')[0]!.slice(0, 300)); });
	const info = adapter.info ?? {};
	if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
	tf.registerBackend('webgpu', () => new mod.WebGPUBackend(device, info), 3);
	if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend did not initialise');
	const got = [`max binding ${bytes(device.limits.maxStorageBufferBindingSize)}`, `buffer ${bytes(device.limits.maxBufferSize)}`,
		...['subgroups', 'shader-f16'].filter(f => device.features.has(f))];
	return `webgpu (Dawn: ${info.vendor ?? '?'} ${info.device || info.description || ''}, ${got.join(', ')}${info.isFallbackAdapter ? ', software' : ''})`.replace(/: ,/, ':');
}

const webgpuErrors: string[] = [];
/** WebGPU validation and out-of-memory errors since the last call (their results are wrong, not thrown); empties the list. */
export const takeWebgpuErrors = (): string[] => webgpuErrors.splice(0);

/** Device limits requested at the adapter's maximum: buffer sizes and the compute dispatch limits. */
export const webgpuLimits = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
	'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension',
	'maxStorageBuffersPerShaderStage', 'maxUniformBufferBindingSize', 'maxBindGroups'] as const;
/** Features requested when offered: kernel timing, subgroup operations, fp16 in WGSL (tfjs's own request adds bgra8unorm-storage). */
export const webgpuFeatures = ['timestamp-query', 'subgroups', 'shader-f16', 'bgra8unorm-storage'];

/** 2147483644 -> "2 GiB", 134217728 -> "128 MiB". */
function bytes(n: number): string {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 * 0.999 && i < units.length - 1) { n /= 1024; i++; }
	return `${Math.round(n * 10) / 10} ${units[i]}`;
}

async function tryWasm(threads: number): Promise<string> {
	await load('@tensorflow/tfjs-backend-wasm');
	const n = await withWasmThreads(threads, async () => {
		if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
	});
	return `wasm (SIMD, ${n} thread${n === 1 ? '' : 's'})`;
}

async function tryCpu(): Promise<string> {
	if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
	return 'cpu (plain JS)';
}

const loaders: Record<BackendName, (auto: boolean, threads: number) => Promise<string>> = {cuda: tryCuda, webgpu: tryWebgpu, node: tryNode, wasm: (_, threads) => tryWasm(threads), cpu: tryCpu};

let current: BackendInfo | undefined;

/**
 * Initialises TF.js on the chosen backend (once per thread) and reports what was picked and what failed.
 * `threads`: wasm's thread pool (default IOTA_TUI_THREADS, else every core; 1 = single-threaded).
 */
export async function initBackend(choice: BackendChoice = 'auto', threads = defaultThreads()): Promise<BackendInfo> {
	if (current && (choice === 'auto' || choice === current.name)) return current;
	tf.enableProdMode();
	const order: BackendName[] = choice === 'auto' ? [...backendNames] : [choice];
	const tried: string[] = [];
	for (const name of order) {
		try {
			const detail = await loaders[name](choice === 'auto', threads);
			await tf.ready();
			current = {name, tfBackend: tf.getBackend(), detail, tried};
			return current;
		} catch (error) {
			tried.push(`${name}: ${firstLine(errorMessage(error))}`);
		}
	}
	if (choice !== 'auto') throw new UserError(`backend "${choice}" cannot load: ${tried[0]!.slice(choice.length + 2)}`, 1);
	throw new UserError(`no TF.js backend could load (${tried.join('; ')})`, 1);
}

const firstLine = (s: string) => s.split('\n')[0]!.slice(0, 200);
