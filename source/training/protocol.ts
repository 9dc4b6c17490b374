// Typed messages between TrainerClient (main thread) and the training worker.
import type {BackendChoice, BackendInfo} from './backend.js';
import type {ModelConfig} from './config.js';
import type {AdamWOptions, StepResult} from './trainer.js';
import type {TensorData} from './tensor-data.js';

export type VectorFormat = 'f32' | 'bf16';

/** `llama3`: one IOTA Llama-3 stage with NAdam (the miner); `legacy` (default): the old model, also whole (the train command). */
export type Engine = 'legacy' | 'llama3';

export type InitOptions = {config: ModelConfig; stages: number[]; seed?: number; backend?: BackendChoice; adamw?: Partial<AdamWOptions>; clipNorm?: number; engine?: Engine};

export type Request =
	| {op: 'init'; options: InitOptions}
	| {op: 'forward'; key: string; input: TensorData; ids?: TensorData}
	| {op: 'backward'; key: string; grad?: TensorData}
	| {op: 'trainBatch'; ids: TensorData}
	| {op: 'evalLoss'; ids: TensorData}
	| {op: 'step'; lr: number}
	| {op: 'exportWeights'; format: VectorFormat}
	| {op: 'importWeights'; format: VectorFormat; data: ArrayBuffer}
	| {op: 'exportOptimizerState'; format: VectorFormat}
	| {op: 'importOptimizerState'; format: VectorFormat; data: ArrayBuffer; step?: number}
	| {op: 'exportGradients'}
	| {op: 'drop'; key: string}
	| {op: 'stats'}
	| {op: 'crashForTest'};

export type Stats = {numParams: number; step: number; pendingMicroBatches: number; savedActivations: number; numTensors: number; tensorBytes: number; backend: string; rssBytes: number};

export type Results = {
	init: {backend: BackendInfo; numParams: number; clipNorm: number};
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
	drop: {};
	stats: Stats;
	crashForTest: {};
};

export type Envelope = {id: number} & Request;
export type Reply = {id: number; ok: true; result: unknown} | {id: number; ok: false; error: string; userError: boolean; exitCode: number};
