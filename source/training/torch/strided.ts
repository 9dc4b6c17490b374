// Turns a (storage, offset, shape, stride) view as torch saves it into contiguous row-major bytes.
import {fail} from './errors.js';
import {numel} from './values.js';

export type View = {offset: number; shape: number[]; stride: number[]};

export const isContiguous = ({shape, stride}: View): boolean => {
	let expected = 1;
	for (let i = shape.length - 1; i >= 0; i--) {
		if (shape[i] !== 1 && stride[i] !== expected) return false;
		expected *= shape[i]!;
	}
	return true;
};

/** Checks the view stays inside a storage of `storageElements`; `where` names the tensor in the error. */
export function checkView(view: View, storageElements: number, where: string): void {
	const n = numel(view.shape);
	if (n === 0) return;
	let last = view.offset;
	view.shape.forEach((d, i) => { last += (d - 1) * view.stride[i]!; });
	if (last >= storageElements)
		fail(`${where}: shape [${view.shape.join(', ')}] stride [${view.stride.join(', ')}] offset ${view.offset} reaches element ${last}, but its storage holds ${storageElements}`);
}

/** Contiguous bytes of a checked view; element size `el`. Copies rows where the last stride is 1. */
export function gather(storage: Uint8Array, view: View, el: number): Uint8Array {
	const n = numel(view.shape);
	if (isContiguous(view)) return storage.subarray(view.offset * el, (view.offset + n) * el);
	const out = new Uint8Array(n * el);
	if (n === 0) return out;
	const dims = view.shape.length;
	const inner = view.shape[dims - 1]!;
	const innerStride = view.stride[dims - 1]!;
	const index = new Array<number>(dims - 1).fill(0);
	for (let o = 0; o < out.length;) {
		let base = view.offset;
		for (let i = 0; i < dims - 1; i++) base += index[i]! * view.stride[i]!;
		if (innerStride === 1) {
			out.set(storage.subarray(base * el, (base + inner) * el), o);
			o += inner * el;
		} else {
			for (let j = 0; j < inner; j++, o += el) out.set(storage.subarray((base + j * innerStride) * el, (base + j * innerStride + 1) * el), o);
		}
		for (let i = dims - 2; i >= 0; i--) {
			if (++index[i]! < view.shape[i]!) break;
			index[i] = 0;
		}
	}
	return out;
}
