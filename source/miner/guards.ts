// Small defences the miner loop uses against hostile or slow peers: uid checks, download caps per
// object kind, and waits that end on stop or at a deadline instead of hanging.
import type {ModelConfig} from '../training/config.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Activation uids name storage keys: only the UUID shape the orchestrator hands out is used. */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** Largest activation or gradient a stage of `config` can send (float32 logits-wide plus header). */
export function maxActivationBytes(config: ModelConfig): number {
	const width = Math.max(config.dModel, config.vocabSize, config.bottleneckDim);
	return config.batchSize * config.seqLen * width * 4 + 64 * 1024;
}

/** Largest weights or optimizer-state vector of a stage with `numParams` parameters (bf16, AdamW m + v). */
export const maxVectorBytes = (numParams: number) => numParams * 2 * 2 + 64 * 1024;

export const MAX_METADATA_BYTES = 1024 * 1024;

export class WaitTimeout extends Error {}

/**
 * Waits for `promise`, but no longer than `ms` and not past `signal`: on stop it rejects with
 * `onStop()`, at the deadline with a WaitTimeout naming `what`.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string, signal: AbortSignal, onStop: () => Error): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		if (signal.aborted) return reject(onStop());
		const done = () => {
			clearTimeout(timer);
			signal.removeEventListener('abort', onAbort);
		};
		const onAbort = () => {
			done();
			reject(onStop());
		};
		const timer = setTimeout(() => {
			done();
			reject(new WaitTimeout(`${what}: no result within ${Math.round(ms / 1000)} s`));
		}, ms);
		signal.addEventListener('abort', onAbort, {once: true});
		promise.then(
			v => {
				done();
				resolve(v);
			},
			(e: unknown) => {
				done();
				reject(e as Error);
			},
		);
	});
}

/** Pause after work that was dropped: doubles with each one in a row, at most `maxMs`. */
export const dropPause = (pollMs: number, streak: number, maxMs = 10_000) => Math.min(maxMs, pollMs * 2 ** Math.min(streak, 6));
