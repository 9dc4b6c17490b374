// Pickle writer for data.pkl, protocol 2 as torch writes it: only the opcodes torch's weights_only loader reads
// (floats need BINFLOAT and bytes need BINBYTES, which torch 1.13's weights_only loader lacks).
const enc = new TextEncoder();

export class PickleWriter {
	private buf = new Uint8Array(1024);
	private len = 0;
	private memo = new Map<string, number>();

	private grow(n: number) {
		if (this.len + n <= this.buf.length) return;
		const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
		next.set(this.buf.subarray(0, this.len));
		this.buf = next;
	}
	op(...bytes: number[]) { this.grow(bytes.length); for (const b of bytes) this.buf[this.len++] = b; }
	private raw(b: Uint8Array) { this.grow(b.length); this.buf.set(b, this.len); this.len += b.length; }
	private u32(x: number) { this.op(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24); }

	proto() { this.op(0x80, 2); }
	stop(): Uint8Array { this.op(0x2e); return this.buf.slice(0, this.len); }
	mark() { this.op(0x28); }
	none() { this.op(0x4e); }
	bool(b: boolean) { this.op(b ? 0x88 : 0x89); }

	int(x: number | bigint) {
		if (typeof x === 'number' && x >= 0 && x < 0x100) return this.op(0x4b, x);
		if (typeof x === 'number' && x >= 0 && x < 0x10000) return this.op(0x4d, x & 0xff, x >>> 8);
		if (typeof x === 'number' && x >= -(2 ** 31) && x < 2 ** 31) { this.op(0x4a); return this.u32(x >>> 0); }
		this.long(BigInt(x));
	}
	/** LONG1: minimal little-endian two's complement. */
	private long(x: bigint) {
		const out: number[] = [];
		let v = x;
		for (;;) {
			const byte = Number(v & 0xffn);
			out.push(byte);
			v >>= 8n;
			if ((v === 0n && !(byte & 0x80)) || (v === -1n && byte & 0x80)) break;
		}
		this.op(0x8a, out.length, ...out);
	}
	float(x: number) {
		this.op(0x47);
		this.grow(8);
		new DataView(this.buf.buffer).setFloat64(this.len, x, false);
		this.len += 8;
	}
	string(s: string) { const b = enc.encode(s); this.op(0x58); this.u32(b.length); this.raw(b); }
	bytes(b: Uint8Array) { this.op(0x42); this.u32(b.length); this.raw(b); }

	/** GLOBAL, written once and fetched from the memo afterwards, as Python's pickler does. */
	global(module: string, name: string) {
		const key = `${module}\n${name}\n`;
		const slot = this.memo.get(key);
		if (slot !== undefined) return this.get(slot);
		this.op(0x63);
		this.raw(enc.encode(key));
		this.put(key);
	}
	private put(key: string) {
		const slot = this.memo.size;
		this.memo.set(key, slot);
		if (slot < 0x100) this.op(0x71, slot); else { this.op(0x72); this.u32(slot); }
	}
	private get(slot: number) { if (slot < 0x100) this.op(0x68, slot); else { this.op(0x6a); this.u32(slot); } }

	emptyTuple() { this.op(0x29); }
	/** Closes a tuple of `n` items: TUPLE1..3 when short, else TUPLE after a MARK the caller wrote. */
	tuple(n: number) { this.op(n === 0 ? 0x29 : n === 1 ? 0x85 : n === 2 ? 0x86 : n === 3 ? 0x87 : 0x74); }
	emptyList() { this.op(0x5d); }
	appends() { this.op(0x65); }
	emptyDict() { this.op(0x7d); }
	setitem() { this.op(0x73); }
	setitems() { this.op(0x75); }
	persid() { this.op(0x51); }
	reduce() { this.op(0x52); }
	build() { this.op(0x62); }
}
