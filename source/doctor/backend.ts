// The training backend TF.js picks here, and the GPU: which adapter trains, or why none does.
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {delimiter, join} from 'node:path';
import type {BackendChoice, BackendInfo} from '../training/backend.js';
import {deviceVerdict, NO_VULKAN_FIX, nvidiaPresent} from '../training/device.js';
import {errorMessage} from '../errors.js';
import {fail, pass, timeBox, type Check} from './types.js';

export {NO_VULKAN_FIX};

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
	const d = deviceVerdict(result, gpuPresent);
	return [backend, d.ok ? pass('device', d.text) : fail('device', d.text, d.fix!)];
}

/** Loads the chosen backend in a child process, time-boxed: TF.js and Dawn load native code, and Dawn writes
 * warnings straight to fd 2, which would tear the wizard's screen. */
export async function checkBackend(choice: BackendChoice, timeoutMs: number): Promise<Check[]> {
	let result: BackendInfo | Error;
	try {
		result = await timeBox(probeInChild(choice, timeoutMs), timeoutMs);
	} catch (error) {
		result = new Error(errorMessage(error));
	}
	return backendChecks(result, nvidiaPresent());
}

function probeInChild(choice: BackendChoice, timeoutMs: number): Promise<BackendInfo> {
	const fromTs = import.meta.url.endsWith('.ts');
	const entry = fileURLToPath(new URL(fromTs ? './backend-probe.ts' : './backend-probe.js', import.meta.url));
	const args = [...(fromTs ? ['--import', 'tsx'] : []), entry, choice];
	return new Promise((resolve, reject) => {
		execFile(process.execPath, args, {timeout: timeoutMs, maxBuffer: 1 << 20}, (error, stdout) => {
			const line = stdout.trim().split('\n').at(-1) ?? '';
			try {
				const r = JSON.parse(line) as {ok: true; info: BackendInfo} | {ok: false; error: string};
				if (r.ok) resolve(r.info);
				else reject(new Error(r.error));
			} catch {
				reject(new Error(error ? `the backend probe failed: ${errorMessage(error).split('\n')[0]}` : 'the backend probe printed no result'));
			}
		});
	});
}
