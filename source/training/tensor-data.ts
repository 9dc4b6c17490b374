// Plain tensor payloads that cross the worker boundary as transferred ArrayBuffers.
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.js';

export type TensorData = {dtype: 'float32' | 'int32'; shape: number[]; data: ArrayBuffer};

export const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function toTensor(d: TensorData): tf.Tensor {
	const n = sizeOf(d.shape);
	const view = d.dtype === 'int32' ? new Int32Array(d.data) : new Float32Array(d.data);
	if (view.length !== n) throw new UserError(`tensor data has ${view.length} elements, shape [${d.shape}] needs ${n}`);
	return tf.tensor(view, d.shape, d.dtype);
}

export async function fromTensor(t: tf.Tensor): Promise<TensorData> {
	const v = (await t.data()) as Float32Array | Int32Array;
	const copy = v.slice();
	return {dtype: t.dtype === 'int32' ? 'int32' : 'float32', shape: [...t.shape], data: copy.buffer as ArrayBuffer};
}

export const float32 = (data: Float32Array, shape: number[]): TensorData => ({dtype: 'float32', shape, data: data.slice().buffer as ArrayBuffer});
export const int32 = (data: Int32Array, shape: number[]): TensorData => ({dtype: 'int32', shape, data: data.slice().buffer as ArrayBuffer});

/** Rejects NaN or Inf before anything is sent or used. */
export function assertFinite(values: ArrayLike<number>, what: string): void {
	for (let i = 0; i < values.length; i++) {
		if (!Number.isFinite(values[i]!)) throw new UserError(`${what} contains ${Number.isNaN(values[i]!) ? 'NaN' : 'Inf'} at element ${i}`);
	}
}
