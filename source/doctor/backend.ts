// The training backend TF.js picks here, and the GPU: which adapter trains, or why none does.
import {existsSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import type {BackendChoice, BackendInfo} from '../training/backend.js';
import {errorMessage} from '../errors.js';
import {fail, pass, timeBox, type Check} from './types.js';

export const NO_VULKAN_FIX = 'no Vulkan driver for the GPU: run the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (or install the GPU vendor\'s Vulkan driver)';

/** An NVIDIA GPU is visible to this machine (device nodes or the driver's tool), whether or not a backend can use it. */
export function nvidiaPresent(paths = process.env.PATH ?? ''): boolean {
	if (existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl')) return true;
	return paths.split(delimiter).some(dir => dir && existsSync(join(dir, 'nvidia-smi')));
}

/** The two checks from what initBackend reported (or the error it threw). Pure: the GPU presence is passed in. */
export function backendChecks(result: BackendInfo | Error, gpuPresent: boolean): Check[] {
	if (result instanceof Error) {
		return [
			fail('backend', result.message, 'pick another --backend (auto tries cuda, webgpu, node, wasm, cpu in turn)'),
			fail('device', 'not checked: no backend loaded', 'fix the backend first'),
		];
	}
	const tried = result.tried.length ? ` (not used: ${result.tried.map(t => t.replace(/ imported from \S+/, '')).join('; ')})` : '';
	const backend = pass('backend', `${result.detail}${tried}`);
	if (result.name === 'webgpu' || result.name === 'cuda') return [backend, pass('device', `GPU: ${result.detail}`)];
	const webgpuWhy = result.tried.find(t => t.startsWith('webgpu:'))?.slice('webgpu: '.length);
	if (gpuPresent) return [backend, fail('device', `a GPU is present but no backend can use it${webgpuWhy ? ` (${webgpuWhy})` : ''}: training runs on the CPU`, NO_VULKAN_FIX)];
	return [backend, pass('device', 'no GPU: training runs on the CPU (wasm)')];
}

/** Loads the chosen backend in this process, time-boxed (TF.js and Dawn load native code). */
export async function checkBackend(choice: BackendChoice, timeoutMs: number): Promise<Check[]> {
	let result: BackendInfo | Error;
	try {
		const {initBackend} = await import('../training/backend.js');
		result = await timeBox(initBackend(choice), timeoutMs);
	} catch (error) {
		result = new Error(errorMessage(error));
	}
	return backendChecks(result, nvidiaPresent());
}
