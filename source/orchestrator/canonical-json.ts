// Python's `json.dumps(obj, sort_keys=True)` text, byte for byte: separators ", " and ": ",
// ensure_ascii escapes (lowercase \uXXXX, surrogate pairs for astral characters), keys sorted by
// code point, Python float repr (1.0 stays 1.0, 1e+16, 1e-05), NaN/Infinity as Python prints them.
// JS numbers cannot tell 1 from 1.0: integral numbers are ints unless wrapped in PyFloat.

/** A number that Python holds as a float (so 1 prints as 1.0). */
export class PyFloat {
	constructor(readonly value: number) {}
	valueOf(): number {
		return this.value;
	}
	toJSON(): number {
		return this.value;
	}
}

export const pyFloat = (value: number): PyFloat => new PyFloat(value);

export type PyJson =
	| null
	| boolean
	| number
	| bigint
	| string
	| PyFloat
	| PyJson[]
	| {[key: string]: PyJson | undefined};

/** Python's repr(float). */
export function pyFloatRepr(x: number): string {
	if (Number.isNaN(x)) return 'NaN';
	if (x === Infinity) return 'Infinity';
	if (x === -Infinity) return '-Infinity';
	if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
	const sign = x < 0 ? '-' : '';
	// toExponential() without digits gives the shortest round-trip digits, like Python's repr.
	const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
	const digits = mantissa.replace('.', '');
	const decpt = Number(exp) + 1; // value = 0.DIGITS x 10^decpt
	if (decpt > -4 && decpt <= 16) {
		if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
		if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
		return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
	}
	const e = decpt - 1;
	const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
	const eText = String(Math.abs(e)).padStart(2, '0');
	return `${sign}${digits[0]}${rest}e${e < 0 ? '-' : '+'}${eText}`;
}

const ESCAPES: Record<string, string> = {
	'"': '\\"',
	'\\': '\\\\',
	'\n': '\\n',
	'\r': '\\r',
	'\t': '\\t',
	'\b': '\\b',
	'\f': '\\f',
};

/** A JSON string literal as Python writes it with ensure_ascii=True. */
export function pyString(s: string): string {
	let out = '"';
	for (let i = 0; i < s.length; i++) {
		const ch = s[i]!;
		const code = s.charCodeAt(i);
		if (code >= 0x20 && code <= 0x7e && ch !== '"' && ch !== '\\') out += ch;
		else out += ESCAPES[ch] ?? `\\u${code.toString(16).padStart(4, '0')}`;
	}
	return out + '"';
}

/** Compare strings by Unicode code point (Python's str order), not by UTF-16 unit. */
export function compareCodePoints(a: string, b: string): number {
	let i = 0;
	let j = 0;
	while (i < a.length && j < b.length) {
		const ca = a.codePointAt(i)!;
		const cb = b.codePointAt(j)!;
		if (ca !== cb) return ca < cb ? -1 : 1;
		i += ca > 0xffff ? 2 : 1;
		j += cb > 0xffff ? 2 : 1;
	}
	return a.length - i === b.length - j ? 0 : a.length - i < b.length - j ? -1 : 1;
}

/** json.dumps(value, sort_keys=True). Object members set to undefined are skipped. */
export function canonicalJson(value: PyJson | undefined): string {
	if (value === null || value === undefined) return 'null';
	if (value === true) return 'true';
	if (value === false) return 'false';
	if (typeof value === 'string') return pyString(value);
	if (typeof value === 'bigint') return value.toString();
	if (value instanceof PyFloat) return pyFloatRepr(value.value);
	if (typeof value === 'number') {
		if (Number.isInteger(value)) return BigInt(value).toString();
		return pyFloatRepr(value);
	}
	if (Array.isArray(value)) return `[${value.map(v => canonicalJson(v)).join(', ')}]`;
	if (typeof value === 'object') {
		const keys = Object.keys(value)
			.filter(k => value[k] !== undefined)
			.sort(compareCodePoints);
		return `{${keys.map(k => `${pyString(k)}: ${canonicalJson(value[k])}`).join(', ')}}`;
	}
	throw new TypeError(`cannot serialise ${typeof value} as JSON`);
}

/** Strip PyFloat wrappers and turn safe bigints into numbers, for schema validation. */
export function toPlain(value: PyJson | undefined): unknown {
	if (value instanceof PyFloat) return value.value;
	if (typeof value === 'bigint') {
		return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
			? Number(value)
			: value;
	}
	if (Array.isArray(value)) return value.map(toPlain);
	if (value && typeof value === 'object') {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value)) out[k] = toPlain(v);
		return out;
	}
	return value;
}
