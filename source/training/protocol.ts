// Typed messages between TrainerClient (main thread) and the training worker.
import type {BackendChoice, BackendInfo} from './backend.js';
import type {ModelConfig} from './config.js';
import type {TensorData} from './tensor-data.js';

export type VectorFormat = 'f32' | 'bf16';

/** The only engine: IOTA's Llama-3 stages with the inner optimizer (one stage: the miner; all stages: `train`). */
export type Engine = 'llama3';

/**
 * `stages`: one stage (forward/backward, the miner) or all of them in order (trainBatch/evalLoss, `train`).
 * `clipNorm` replaces every stage's IOTA clip norm; `useAdamW` picks AdamW over NAdam as IOTA's use_AdamW does.
 * `threads`: CPU threads for wasm or cpu (default IOTA_TUI_THREADS, else every core; 1 = one thread). With a batch of 2 or
 * more (`config.batchSize`) each micro-batch's rows are split over that many training threads (row-split.ts); with 1,
 * wasm's XNNPACK pool gets the threads. `split: false` keeps the pool (helpers start with it).
 */
export type InitOptions = {config: ModelConfig; stages: number[]; seed?: number; backend?: BackendChoice; clipNorm?: number; useAdamW?: boolean; engine?: Engine; threads?: number; split?: boolean};

/** One optimizer step. Whole model: gradNorm over all stages, clipScale the smallest, and each stage's own in `stages`. */
export type StepResult = {gradNorm: number; clipScale: number; microBatches: number; step: number; stages?: Array<{gradNorm: number; clipScale: number}>};

export type Request =
	| {op: 'init'; options: InitOptions}
	| {op: 'forward'; key: string; input: TensorData; ids?: TensorData}
	| {op: 'backward'; key: string; grad?: TensorData; scale?: number}
	| {op: 'trainBatch'; ids: TensorData; scale?: number}
	| {op: 'evalLoss'; ids: TensorData}
	| {op: 'step'; lr: number}
	| {op: 'exportWeights'; format: VectorFormat}
	| {op: 'importWeights'; format: VectorFormat; data: ArrayBuffer}
	| {op: 'exportOptimizerState'; format: VectorFormat}
	| {op: 'importOptimizerState'; format: VectorFormat; data: ArrayBuffer; step?: number}
	| {op: 'exportGradients'}
	| {op: 'resetGradients'}
	| {op: 'drop'; key: string}
	| {op: 'stats'}
	| {op: 'crashForTest'};

export type Stats = {numParams: number; step: number; pendingMicroBatches: number; savedActivations: number; numTensors: number; tensorBytes: number; backend: string; rssBytes: number};

export type Results = {
	init: {backend: BackendInfo; numParams: number; clipNorm: number; clipNorms?: number[]};
	forward: {output?: TensorData; loss?: number};
	backward: {inputGrad?: TensorData; loss?: number};
	trainBatch: {loss: number};
	evalLoss: {loss: number};
	step: StepResult;
	exportWeights: {data: ArrayBuffer};
	importWeights: {};
	exportOptimizerState: {data: ArrayBuffer};
	importOptimizerState: {};
	exportGradients: {data: ArrayBuffer};
	resetGradients: {};
	drop: {};
	stats: Stats;
	crashForTest: {};
};

export type Envelope = {id: number} & Request;
export type Reply = {id: number; ok: true; result: unknown} | {id: number; ok: false; error: string; userError: boolean; exitCode: number};
