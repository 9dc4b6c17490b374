// Free disk (the data dir's file system) and memory against what the chosen model's largest stage needs.
import {statfs} from 'node:fs/promises';
import {freemem, totalmem} from 'node:os';
import {dirname} from 'node:path';
import type {ModelConfig} from '../training/config.js';
import {llamaModelFor} from '../training/llama3/from-model-config.js';
import {countParams, stageParams} from '../training/llama3/params.js';
import {fail, gib, pass, type Check} from './types.js';

const F32 = 4;
/** Node, TF.js and the miner's own buffers, on top of the model. */
const RUNTIME_BYTES = 512 * 2 ** 20;

export type ModelNeeds = {params: number; memoryBytes: number; diskBytes: number};

/** A miner trains one stage: the largest stage's parameters decide what it needs. */
export function largestStageParams(model: ModelConfig): number {
	const {cfg, splits} = llamaModelFor(model);
	return Math.max(...splits.map(s => countParams(stageParams(cfg, s))));
}

/**
 * Rough needs, float32: memory holds weights, gradients, two AdamW moments and the merge's anchor copy
 * (5 x params) plus activations (about 20 floats per token, channel and block) and the runtime; disk
 * holds the optimizer state and queued uploads (about 6 x params) plus 1 GiB of slack.
 */
export function modelNeeds(model: ModelConfig): ModelNeeds {
	const params = largestStageParams(model);
	const blocks = Math.max(...model.splits.map(([a, b]) => (b < 0 ? model.nLayers : b) - Math.max(a, 0)));
	const activations = model.batchSize * model.seqLen * model.dModel * blocks * 20 * F32;
	return {params, memoryBytes: params * F32 * 5 + activations + RUNTIME_BYTES, diskBytes: params * F32 * 6 + 2 ** 30};
}

const millions = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} B` : `${(n / 1e6).toFixed(n < 1e7 ? 2 : 0)} M`);

export function memoryCheck(model: ModelConfig, free: number, total: number): Check {
	const need = modelNeeds(model);
	const detail = `${gib(free)} free of ${gib(total)}; model ${model.name} needs about ${gib(need.memoryBytes)} (largest stage ${millions(need.params)} parameters)`;
	if (total < need.memoryBytes) return fail('memory', detail, `this machine has too little memory for ${model.name}: pick a smaller --model or a bigger machine`);
	if (free < need.memoryBytes) return fail('memory', detail, 'free memory: stop other programs (or pick a smaller --model)');
	return pass('memory', detail);
}

export function diskCheck(model: ModelConfig, dir: string, free: number): Check {
	const need = modelNeeds(model);
	const detail = `${gib(free)} free at ${dir}; model ${model.name} needs about ${gib(need.diskBytes)}`;
	if (free < need.diskBytes) return fail('disk', detail, `free space on that disk or pick another --data-dir`);
	return pass('disk', detail);
}

/** Free bytes on the file system the data dir is (or will be) on: its nearest existing ancestor. */
export async function freeDisk(dir: string): Promise<{at: string; free: number}> {
	for (let at = dir; ; at = dirname(at)) {
		try {
			const s = await statfs(at);
			return {at, free: s.bavail * s.bsize};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw error;
		}
	}
}

export async function checkResources(model: ModelConfig, dataDir: string): Promise<Check[]> {
	// A container's memory limit (cgroup) counts, not the host's.
	const limit = process.constrainedMemory();
	const total = limit > 0 && limit < totalmem() ? limit : totalmem();
	const memory = memoryCheck(model, Math.min(freemem(), total), total);
	try {
		const {free} = await freeDisk(dataDir);
		return [diskCheck(model, dataDir, free), memory];
	} catch (error) {
		return [fail('disk', `cannot read free space at ${dataDir}: ${(error as Error).message}`, 'pick a --data-dir this user can reach'), memory];
	}
}
