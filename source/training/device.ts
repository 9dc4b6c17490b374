// Which device trains and, when a GPU is present but unused, why and what fixes it: said at start and by doctor.
import {existsSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import type {BackendInfo} from './backend.js';

export const NO_VULKAN_FIX = 'no Vulkan driver for the GPU: run the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (or install the GPU vendor\'s Vulkan driver)';

/** An NVIDIA GPU is visible to this machine (device nodes or the driver's tool), whether or not a backend can use it. */
export function nvidiaPresent(paths = process.env.PATH ?? ''): boolean {
	if (existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl')) return true;
	return paths.split(delimiter).some(dir => dir && existsSync(join(dir, 'nvidia-smi')));
}

export type DeviceVerdict = {ok: boolean; text: string; fix: string | null};

/** Pure: from what initBackend reported and whether a GPU is present. */
export function deviceVerdict(info: BackendInfo, gpuPresent: boolean): DeviceVerdict {
	if (info.name === 'webgpu' || info.name === 'cuda') return {ok: true, text: `GPU: ${info.detail}`, fix: null};
	const webgpuWhy = info.tried.find(t => t.startsWith('webgpu:'))?.slice('webgpu: '.length);
	if (gpuPresent) return {ok: false, text: `a GPU is present but no backend can use it${webgpuWhy ? ` (${webgpuWhy})` : ''}: training runs on the CPU`, fix: NO_VULKAN_FIX};
	return {ok: true, text: `no GPU: training runs on the CPU (${info.name})`, fix: null};
}
