// torch.save in TypeScript: tensors, dicts (OrderedDict too), lists, tuples and scalars to torch's zip format.
import {endianness} from 'node:os';
import {bytesOf, dtypeInfo, type TensorData} from './dtypes.js';
import {fail} from './errors.js';
import {PickleWriter} from './pickle-write.js';
import {checkTensor, isTensor, TorchOrderedDict, TorchTuple, type TorchTensor, type TorchValue} from './values.js';
import {writeZip} from './zip-write.js';

export type SaveOptions = {
	/** Archive folder inside the zip; torch uses the file's stem, or "archive" for a buffer. */
	archiveName?: string;
};

const MAX_DEPTH = 1000;

/** Row-major strides as torch computes them (a zero-size dim counts as 1). */
export function contiguousStrides(shape: readonly number[]): number[] {
	const stride = new Array<number>(shape.length);
	let s = 1;
	for (let i = shape.length - 1; i >= 0; i--) { stride[i] = s; s *= Math.max(shape[i]!, 1); }
	return stride;
}

class TorchPickler {
	readonly w = new PickleWriter();
	readonly storages: TensorData[] = [];
	private keys = new Map<TensorData, number>();
	private onPath = new Set<object>();

	value(x: TorchValue, depth: number): void {
		if (depth > MAX_DEPTH) fail(`value nests deeper than ${MAX_DEPTH}`);
		const w = this.w;
		if (x === null) return w.none();
		if (typeof x === 'boolean') return w.bool(x);
		if (typeof x === 'bigint') return w.int(x);
		if (typeof x === 'number') return Number.isSafeInteger(x) ? w.int(x) : w.float(x);
		if (typeof x === 'string') return w.string(x);
		if (x instanceof Uint8Array) return w.bytes(x);
		if (this.onPath.has(x)) fail('value contains itself');
		this.onPath.add(x);
		if (Array.isArray(x)) this.list(x, depth);
		else if (x instanceof TorchTuple) this.tuple(x.items, depth);
		else if (x instanceof TorchOrderedDict) this.orderedDict(x, depth);
		else if (x instanceof Map) { w.emptyDict(); this.items(x, depth); }
		else if (isTensor(x)) this.tensor(x);
		else fail(`cannot save a ${(x as object).constructor?.name ?? typeof x} in a torch file`);
		this.onPath.delete(x);
	}

	private list(xs: TorchValue[], depth: number) {
		this.w.emptyList();
		if (xs.length === 0) return;
		this.w.mark();
		for (const x of xs) this.value(x, depth + 1);
		this.w.appends();
	}
	private tuple(xs: TorchValue[], depth: number) {
		if (xs.length > 3) this.w.mark();
		for (const x of xs) this.value(x, depth + 1);
		this.w.tuple(xs.length);
	}
	private items(m: Map<string | number, TorchValue>, depth: number) {
		if (m.size === 0) return;
		this.w.mark();
		for (const [k, v] of m) {
			if (typeof k !== 'string' && !Number.isSafeInteger(k)) fail(`dict key ${String(k)} must be a string or an int`);
			this.value(k, depth + 1);
			this.value(v, depth + 1);
		}
		this.w.setitems();
	}
	private newOrderedDict() {
		this.w.global('collections', 'OrderedDict');
		this.w.emptyTuple();
		this.w.reduce();
	}
	private orderedDict(m: TorchOrderedDict, depth: number) {
		this.newOrderedDict();
		this.items(m, depth);
		if (m.metadata === undefined) return;
		// Its _metadata attribute, as nn.Module.state_dict() sets it: BUILD with {'_metadata': ...}.
		this.w.emptyDict();
		this.w.string('_metadata');
		this.value(m.metadata, depth + 1);
		this.w.setitem();
		this.w.build();
	}

	/** _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict()) with storage a persistent id. */
	private tensor(t: TorchTensor) {
		checkTensor(t);
		const w = this.w;
		let key = this.keys.get(t.data);
		if (key === undefined) { key = this.storages.length; this.keys.set(t.data, key); this.storages.push(t.data); }
		w.global('torch._utils', '_rebuild_tensor_v2');
		w.mark();
		w.mark();
		w.string('storage'); w.global('torch', dtypeInfo[t.dtype].storage); w.string(String(key)); w.string('cpu'); w.int(t.data.length);
		w.tuple(5);
		w.persid();
		w.int(0);
		this.intTuple(t.shape);
		this.intTuple(contiguousStrides(t.shape));
		w.bool(false);
		this.newOrderedDict();
		w.tuple(6);
		w.reduce();
	}
	private intTuple(xs: number[]) {
		if (xs.length > 3) this.w.mark();
		for (const x of xs) this.w.int(x);
		this.w.tuple(xs.length);
	}
}

/** Bytes that PyTorch reads with torch.load(..., weights_only=True) (for tensors, dicts, lists, tuples, ints, strings, bools, None). */
export function saveTorch(value: TorchValue, options: SaveOptions = {}): Uint8Array {
	if (endianness() !== 'LE') fail('torch files are written only on little-endian hosts');
	const archive = options.archiveName ?? 'archive';
	if (!/^[A-Za-z0-9_.-]+$/.test(archive) || archive === '.' || archive === '..') fail(`archive name ${JSON.stringify(archive)} must be a plain folder name`);
	const p = new TorchPickler();
	p.w.proto();
	p.value(value, 0);
	const entries: Array<[string, Uint8Array]> = [[`${archive}/data.pkl`, p.w.stop()]];
	p.storages.forEach((data, i) => entries.push([`${archive}/data/${i}`, bytesOf(data)]));
	entries.push([`${archive}/version`, new TextEncoder().encode('3\n')]);
	return writeZip(entries);
}
