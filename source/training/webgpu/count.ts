// Counts the GPU programs (dispatches) the webgpu backend runs during a function: the step is host-bound by their number.
import * as tf from '@tensorflow/tfjs';

/** How many programs fn makes the webgpu backend run (by name), and fn's result. Needs the webgpu backend active. */
export function countDispatches<T>(fn: () => T): {result: T; total: number; byProgram: Map<string, number>} {
	const backend = tf.backend() as unknown as {runWebGPUProgram: (program: {constructor: {name: string}; shaderKey: string}, ...rest: unknown[]) => unknown};
	if (typeof backend.runWebGPUProgram !== 'function') throw new Error(`not the webgpu backend (${tf.getBackend()})`);
	const original = backend.runWebGPUProgram;
	const own = Object.hasOwn(backend, 'runWebGPUProgram');
	const byProgram = new Map<string, number>();
	let total = 0;
	backend.runWebGPUProgram = function (program, ...rest) {
		const name = program.constructor.name === 'Object' ? program.shaderKey.split('_').slice(0, 3).join('_') : program.constructor.name;
		byProgram.set(name, (byProgram.get(name) ?? 0) + 1);
		total++;
		return original.call(this, program, ...rest);
	};
	try {
		return {result: fn(), total, byProgram};
	} finally {
		if (own) backend.runWebGPUProgram = original;
		else delete (backend as {runWebGPUProgram?: unknown}).runWebGPUProgram;
	}
}
