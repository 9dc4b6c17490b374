// Runs the PyTorch reference (iota_stages.py) for the parity tests and moves float32/int32 files to and from it.
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

export const REF_SCRIPT = fileURLToPath(new URL('./iota_stages.py', import.meta.url));

/** A python with torch: $IOTA_TORCH_PYTHON only when set, else Debian's /usr/bin/python3, then python3 on PATH. */
export function findTorchPython(): string | undefined {
	const forced = process.env.IOTA_TORCH_PYTHON;
	const candidates = forced ? [forced] : ['/usr/bin/python3', 'python3'];
	return candidates.find(p => (p.includes('/') ? existsSync(p) : true)
		&& spawnSync(p, ['-c', 'import torch, numpy'], {stdio: 'ignore', timeout: 60_000}).status === 0);
}

/** Skip reason, or false to run; throws when IOTA_REQUIRE_TORCH=1 and no torch was found (CI must not skip). */
export function torchSkip(python: string | undefined): string | false {
	if (python) return false;
	const why = 'no python3 with torch and numpy (Debian: apt-get install python3-torch)';
	if (process.env.IOTA_REQUIRE_TORCH === '1') throw new Error(`IOTA_REQUIRE_TORCH=1 but ${why}`);
	return why;
}

export function runRef(python: string, args: string[], stdin?: string): string {
	const r = spawnSync(python, [REF_SCRIPT, ...args], {input: stdin, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 600_000});
	if (r.status !== 0) throw new Error(`iota_stages.py ${args[0]} failed (${r.status ?? r.signal}): ${r.stderr}`);
	return r.stdout;
}

export const writeF32 = (path: string, data: Float32Array) => writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
export const writeI32 = (path: string, data: Int32Array) => writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
export function readF32(path: string): Float32Array {
	const b = readFileSync(path);
	return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** max |a - b| / max |b|: the error relative to the reference tensor's scale (elementwise ratios blow up near 0). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
	if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
	let diff = 0, scale = 0;
	for (let i = 0; i < a.length; i++) {
		diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
		scale = Math.max(scale, Math.abs(b[i]!));
	}
	return diff / Math.max(scale, 1e-30);
}
