// torch.load(..., weights_only=True) in TypeScript: a torch zip file to tensors, dicts and Python scalars.
import {endianness} from 'node:os';
import {dataFromBytes, dtypeInfo, dtypeOfStorage, type DType} from './dtypes.js';
import {fail} from './errors.js';
import {withDefaults, type TorchLimits} from './limits.js';
import {PickleReader, PyGlobal, type PickleHooks} from './pickle-read.js';
import {checkView, gather} from './strided.js';
import {checkResult} from './walk.js';
import {numel, TorchOrderedDict, TorchTuple, type TorchTensor, type TorchValue} from './values.js';
import {readZipDirectory, readZipEntry, type ZipEntry} from './zip-read.js';

/** A storage named by a persistent id: raw little-endian bytes of one dtype. */
class Storage {
	constructor(readonly key: string, readonly dtype: DType, readonly bytes: Uint8Array) {}
	get elements() { return this.bytes.length / dtypeInfo[this.dtype].bytes; }
}

const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const REBUILD_FROM_TYPE = 'torch._tensor._rebuild_from_type_v2';
const ORDERED_DICT = 'collections.OrderedDict';
const TENSOR_TYPES = new Set(['torch.Tensor', 'torch._tensor.Tensor', 'torch.nn.parameter.Parameter']);
const allowedGlobals = new Set([REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_FROM_TYPE, ORDERED_DICT, ...TENSOR_TYPES,
	...Object.values(dtypeInfo).map(i => `torch.${i.storage}`)]);

const isGlobal = (x: unknown, path: string): boolean => x instanceof PyGlobal && x.path === path;
const describe = (x: unknown): string => (x instanceof PyGlobal ? x.path : x === null ? 'None' : Array.isArray(x) ? 'list' : typeof x === 'object' ? (x as object).constructor.name : typeof x);

function intTuple(x: unknown, what: string): number[] {
	if (!(x instanceof TorchTuple) || !x.items.every(v => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) fail(`tensor ${what} must be a tuple of non-negative ints`);
	return (x as TorchTuple).items as number[];
}

const isEmptyDict = (x: unknown) => x === null || (x instanceof Map && x.size === 0);

class TorchUnpickler implements PickleHooks {
	private storages = new Map<string, Storage>();
	constructor(private readonly file: Uint8Array, private readonly entries: Map<string, ZipEntry>, private readonly prefix: string, private readonly limits: TorchLimits) {}

	global(module: string, name: string): PyGlobal {
		const g = new PyGlobal(module, name);
		if (!allowedGlobals.has(g.path)) fail(`pickle GLOBAL ${g.path} is not allowed`);
		return g;
	}

	persistentLoad(pid: unknown): Storage {
		const items = pid instanceof TorchTuple ? pid.items : [];
		const [tag, type, key, , count] = items;
		if (items.length !== 5 || tag !== 'storage' || !(type instanceof PyGlobal) || typeof key !== 'string' || typeof count !== 'number')
			return fail('pickle persistent id is not a (storage, type, key, location, numel) tuple');
		const dtype = dtypeOfStorage(type.name);
		const cached = this.storages.get(key);
		if (cached) {
			if (cached.dtype !== dtype) fail(`storage ${key} is read as both ${cached.dtype} and ${dtype}`);
			return cached;
		}
		const entry = this.entries.get(`${this.prefix}data/${key}`) ?? fail(`storage ${key} has no entry ${this.prefix}data/${key} in the zip`);
		const expected = count * dtypeInfo[dtype].bytes;
		if (entry.size !== expected) fail(`storage ${key} declares ${count} ${dtype} elements (${expected} bytes), its entry holds ${entry.size} bytes`);
		const storage = new Storage(key, dtype, readZipEntry(this.file, entry));
		this.storages.set(key, storage);
		return storage;
	}

	reduce(func: unknown, args: TorchTuple): unknown {
		const a = args.items;
		if (isGlobal(func, ORDERED_DICT)) {
			if (a.length) fail('pickle builds an OrderedDict from arguments (only OrderedDict() is allowed)');
			return new TorchOrderedDict();
		}
		if (isGlobal(func, REBUILD_TENSOR)) return this.rebuildTensor(a);
		if (isGlobal(func, REBUILD_PARAMETER)) {
			if (!isEmptyDict(a[2])) fail('parameter has backward hooks');
			return a[0];
		}
		if (isGlobal(func, REBUILD_FROM_TYPE)) {
			const [inner, type, innerArgs, state] = a;
			if (!TENSOR_TYPES.has(describe(type)) || !(innerArgs instanceof TorchTuple) || !isEmptyDict(state)) fail('pickle _rebuild_from_type_v2 is only allowed for plain tensors without state');
			return this.reduce(inner, innerArgs as TorchTuple);
		}
		return fail(`pickle REDUCE calls ${describe(func)}, which is not allowed`);
	}

	build(inst: unknown, state: unknown): void {
		if (!(inst instanceof TorchOrderedDict) || !(state instanceof Map)) return fail(`pickle BUILD on ${describe(inst)} is not allowed`);
		inst.metadata = state.get('_metadata') as TorchValue | undefined;
	}

	private rebuildTensor(a: unknown[]): TorchTensor {
		const [storage, offset, sizeTuple, strideTuple, , hooks] = a;
		if (!(storage instanceof Storage)) fail('_rebuild_tensor_v2 needs a storage as its first argument');
		const s = storage as Storage;
		const shape = intTuple(sizeTuple, 'size'), stride = intTuple(strideTuple, 'stride');
		if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) fail('tensor storage offset must be a non-negative int');
		if (shape.length !== stride.length) fail(`tensor has ${shape.length} sizes but ${stride.length} strides`);
		if (a.length < 6 || !isEmptyDict(hooks)) fail('tensor has backward hooks or too few rebuild arguments');
		const n = numel(shape);
		if (!(n <= this.limits.maxTensorElements)) fail(`tensor of shape [${shape.join(', ')}] has over ${this.limits.maxTensorElements} elements`);
		const view = {offset: offset as number, shape, stride};
		checkView(view, s.elements, `tensor on storage ${s.key}`);
		return {dtype: s.dtype, shape, data: dataFromBytes(s.dtype, gather(s.bytes, view, dtypeInfo[s.dtype].bytes))};
	}
}

/** The archive folder: the one top-level folder holding data.pkl; every entry must sit inside it. */
function archivePrefix(entries: Map<string, ZipEntry>): string {
	const pkl = [...entries.keys()].filter(n => /^[^/]+\/data\.pkl$/.test(n));
	if (pkl.length !== 1) fail(pkl.length ? 'zip holds more than one data.pkl' : 'zip holds no <folder>/data.pkl (not a torch file)');
	const prefix = pkl[0]!.slice(0, -'data.pkl'.length);
	for (const name of entries.keys()) if (!name.startsWith(prefix)) fail(`zip entry ${name} is outside the archive folder ${prefix}`);
	return prefix;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();

/** Reads a torch.save file. Only tensors of the dtypes in dtypeInfo, containers and scalars come out; anything else is refused. */
export function loadTorch(bytes: Uint8Array, limits: Partial<TorchLimits> = {}): TorchValue {
	if (endianness() !== 'LE') fail('torch files are read only on little-endian hosts');
	const lim = withDefaults(limits);
	const entries = readZipDirectory(bytes, lim);
	const prefix = archivePrefix(entries);
	const byteorder = entries.get(`${prefix}byteorder`);
	if (byteorder && text(readZipEntry(bytes, byteorder)) !== 'little') fail('torch file stores big-endian tensors');
	const pkl = entries.get(`${prefix}data.pkl`)!;
	if (pkl.size > lim.maxPickleBytes) fail(`data.pkl is ${pkl.size} bytes, over the ${lim.maxPickleBytes}-byte limit`);
	const hooks = new TorchUnpickler(bytes, entries, prefix, lim);
	const result = new PickleReader(readZipEntry(bytes, pkl), hooks, lim.maxDepth).read();
	return checkResult(result, lim.maxDepth);
}
