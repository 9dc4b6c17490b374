// A pickle reader that only builds data: it knows the opcodes torch's data.pkl uses, hands GLOBAL,
// REDUCE, BUILD and persistent ids to the caller's hooks, and refuses every other opcode. Nothing runs.
import {fail} from './errors.js';
import {TorchTuple, type TorchValue} from './values.js';

/** A class or function named by GLOBAL; only the caller's hooks give it meaning. */
export class PyGlobal {
	constructor(readonly module: string, readonly name: string) {}
	get path() { return `${this.module}.${this.name}`; }
}

export type PickleHooks = {
	/** Returns the marker for an allowed global, or throws naming it. */
	global(module: string, name: string): PyGlobal;
	persistentLoad(pid: unknown): unknown;
	reduce(func: unknown, args: TorchTuple): unknown;
	build(inst: unknown, state: unknown): void;
};

const MARK = Symbol('mark');
/** Items are checked to be torch values once the whole pickle is read (walk.ts). */
const tuple = (items: unknown[]) => new TorchTuple(items as TorchValue[]);
const utf8 = new TextDecoder('utf-8', {fatal: true});
const latin1 = new TextDecoder('latin1');

/** Python's opcode names for the error messages, by byte. */
const refusedNames: Record<number, string> = {
	0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x50: 'PERSID', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
	0x63: 'GLOBAL', 0x93: 'STACK_GLOBAL', 0x46: 'FLOAT', 0x49: 'INT', 0x4c: 'LONG', 0x53: 'STRING', 0x56: 'UNICODE',
	0x67: 'GET', 0x70: 'PUT', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x96: 'BYTEARRAY8',
	0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8',
};

export class PickleReader {
	private at = 0;
	private stack: unknown[] = [];
	private marks: number[] = [];
	private memo = new Map<number, unknown>();
	private readonly v: DataView;

	constructor(private readonly bytes: Uint8Array, private readonly hooks: PickleHooks, private readonly maxDepth: number) {
		this.v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	}

	private need(n: number): number {
		if (n < 0 || this.at + n > this.bytes.length) fail(`pickle is truncated (needs ${n} bytes at offset ${this.at})`);
		const at = this.at;
		this.at += n;
		return at;
	}
	private u8() { return this.bytes[this.need(1)]!; }
	private u16() { return this.v.getUint16(this.need(2), true); }
	private u32() { return this.v.getUint32(this.need(4), true); }
	private take(n: number) { const at = this.need(n); return this.bytes.subarray(at, at + n); }
	private line(): string {
		const end = this.bytes.indexOf(0x0a, this.at);
		if (end < 0 || end - this.at > 256) fail(`pickle GLOBAL name at offset ${this.at} is unterminated or too long`);
		const s = latin1.decode(this.bytes.subarray(this.at, end));
		this.at = end + 1;
		return s;
	}
	private text(n: number): string {
		const bytes = this.take(n);
		try { return utf8.decode(bytes); } catch { return fail(`pickle string at offset ${this.at - n} is not UTF-8`); }
	}

	private pop(): unknown {
		if (this.stack.length === 0 || this.top() === MARK) fail(`pickle stack underflow at offset ${this.at - 1}`);
		return this.stack.pop();
	}
	private top(): unknown {
		if (this.stack.length === 0) fail(`pickle stack underflow at offset ${this.at - 1}`);
		return this.stack[this.stack.length - 1];
	}
	private popMark(): unknown[] {
		const m = this.marks.pop();
		if (m === undefined) fail(`pickle has no MARK to pop at offset ${this.at - 1}`);
		const items = this.stack.splice(m!);
		items.shift();
		return items;
	}
	private long(n: number): number | bigint {
		if (n > 64) fail(`pickle integer of ${n} bytes is too long`);
		const b = this.take(n);
		let x = 0n;
		for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
		if (n > 0 && b[n - 1]! & 0x80) x -= 1n << BigInt(8 * n);
		return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
	}
	private list(target: unknown, op: string): unknown[] {
		if (!Array.isArray(target)) fail(`pickle ${op} on something that is not a list`);
		return target as unknown[];
	}
	private dict(target: unknown, op: string): Map<unknown, unknown> {
		if (!(target instanceof Map)) fail(`pickle ${op} on something that is not a dict`);
		return target as Map<unknown, unknown>;
	}
	private setItems(d: Map<unknown, unknown>, items: unknown[]) {
		if (items.length % 2) fail('pickle SETITEMS has an odd number of items');
		for (let i = 0; i < items.length; i += 2) {
			const k = items[i];
			if (typeof k !== 'string' && typeof k !== 'number') fail(`pickle dict key of type ${typeof k} is not supported (only str and int)`);
			d.set(k, items[i + 1]);
		}
	}

	/** Runs the pickle to its STOP and returns the top of the stack. */
	read(): unknown {
		for (;;) {
			const op = this.u8();
			const s = this.stack;
			switch (op) {
				case 0x80: this.u8(); break; // PROTO
				case 0x95: this.need(8); break; // FRAME (protocol 4): only a length hint
				case 0x2e: { // STOP
					const result = this.pop();
					if (this.stack.length || this.marks.length) fail('pickle ends with items left on its stack');
					return result;
				}
				case 0x28: // MARK
					if (this.marks.length >= this.maxDepth) fail(`pickle nests deeper than ${this.maxDepth} MARKs`);
					this.marks.push(s.length); s.push(MARK); break;
				case 0x30: this.pop(); break; // POP
				case 0x31: this.popMark(); break; // POP_MARK
				case 0x32: s.push(this.top()); break; // DUP
				case 0x4e: s.push(null); break; // NONE
				case 0x88: s.push(true); break; // NEWTRUE
				case 0x89: s.push(false); break; // NEWFALSE
				case 0x4a: s.push(this.v.getInt32(this.need(4), true)); break; // BININT
				case 0x4b: s.push(this.u8()); break; // BININT1
				case 0x4d: s.push(this.u16()); break; // BININT2
				case 0x8a: s.push(this.long(this.u8())); break; // LONG1
				case 0x8b: s.push(this.long(this.v.getInt32(this.need(4), true))); break; // LONG4
				case 0x47: s.push(this.v.getFloat64(this.need(8), false)); break; // BINFLOAT (big-endian)
				case 0x58: s.push(this.text(this.u32())); break; // BINUNICODE
				case 0x8c: s.push(this.text(this.u8())); break; // SHORT_BINUNICODE
				case 0x55: s.push(latin1.decode(this.take(this.u8()))); break; // SHORT_BINSTRING (torch's own ids)
				case 0x54: s.push(latin1.decode(this.take(this.u32()))); break; // BINSTRING
				case 0x43: s.push(this.take(this.u8()).slice()); break; // SHORT_BINBYTES
				case 0x42: s.push(this.take(this.u32()).slice()); break; // BINBYTES
				case 0x29: s.push(tuple([])); break; // EMPTY_TUPLE
				case 0x74: s.push(tuple(this.popMark())); break; // TUPLE
				case 0x85: s.push(tuple([this.pop()])); break; // TUPLE1
				case 0x86: { const b = this.pop(), a = this.pop(); s.push(tuple([a, b])); break; } // TUPLE2
				case 0x87: { const c = this.pop(), b = this.pop(), a = this.pop(); s.push(tuple([a, b, c])); break; } // TUPLE3
				case 0x5d: s.push([]); break; // EMPTY_LIST
				case 0x6c: s.push(this.popMark()); break; // LIST
				case 0x7d: s.push(new Map()); break; // EMPTY_DICT
				case 0x64: { const m = new Map(); this.setItems(m, this.popMark()); s.push(m); break; } // DICT
				case 0x61: { const x = this.pop(); this.list(this.top(), 'APPEND').push(x); break; } // APPEND
				case 0x65: { const xs = this.popMark(), l = this.list(this.top(), 'APPENDS'); for (const x of xs) l.push(x); break; } // APPENDS
				case 0x73: { const v = this.pop(), k = this.pop(); this.setItems(this.dict(this.top(), 'SETITEM'), [k, v]); break; } // SETITEM
				case 0x75: { const xs = this.popMark(); this.setItems(this.dict(this.top(), 'SETITEMS'), xs); break; } // SETITEMS
				case 0x71: this.memo.set(this.u8(), this.top()); break; // BINPUT
				case 0x72: this.memo.set(this.u32(), this.top()); break; // LONG_BINPUT
				case 0x94: this.memo.set(this.memo.size, this.top()); break; // MEMOIZE
				case 0x68: s.push(this.get(this.u8())); break; // BINGET
				case 0x6a: s.push(this.get(this.u32())); break; // LONG_BINGET
				case 0x63: { const module = this.line(), name = this.line(); s.push(this.hooks.global(module, name)); break; } // GLOBAL
				case 0x93: { // STACK_GLOBAL
					const name = this.pop(), module = this.pop();
					if (typeof module !== 'string' || typeof name !== 'string') fail('pickle STACK_GLOBAL needs two strings');
					s.push(this.hooks.global(module as string, name as string));
					break;
				}
				case 0x51: s.push(this.hooks.persistentLoad(this.pop())); break; // BINPERSID
				case 0x52: { // REDUCE
					const args = this.pop(), func = this.pop();
					if (!(args instanceof TorchTuple)) fail('pickle REDUCE arguments are not a tuple');
					s.push(this.hooks.reduce(func, args as TorchTuple));
					break;
				}
				case 0x62: { const state = this.pop(); this.hooks.build(this.top(), state); break; } // BUILD
				default: {
					const name = refusedNames[op];
					fail(`pickle opcode ${name ?? `0x${op.toString(16).padStart(2, '0')}`}${name ? ` (0x${op.toString(16)})` : ''} at offset ${this.at - 1} is not allowed`);
				}
			}
		}
	}

	private get(i: number): unknown {
		if (!this.memo.has(i)) fail(`pickle memo slot ${i} is empty`);
		return this.memo.get(i);
	}
}
