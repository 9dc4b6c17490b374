// Python's json.loads, keeping what JSON.parse loses: a number written with '.', 'e' or 'E' is a
// float (PyFloat), other numbers are ints (bigint when past 2^53). Accepts NaN, Infinity and
// -Infinity as Python does. Duplicate keys: the last value wins, as in a Python dict.
// Keys that reach an object's prototype when copied (__proto__, constructor, prototype) are
// refused outright: no message of the protocol has them, and they must never reach a validator.
import {PyFloat, type PyJson} from './canonical-json.js';

export class JsonSyntaxError extends Error {}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Deeper than any message of the protocol (they nest at most 4 levels). */
const MAX_DEPTH = 64;

export function parsePyJson(text: string): PyJson {
	let i = 0;
	const fail = (what: string): never => {
		throw new JsonSyntaxError(`invalid JSON: ${what} at char ${i}`);
	};
	const ws = () => {
		while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
	};
	const literal = (word: string, value: PyJson): PyJson => {
		if (text.startsWith(word, i)) {
			i += word.length;
			return value;
		}
		return fail('unexpected token');
	};
	const str = (): string => {
		i++; // opening quote
		let out = '';
		for (;;) {
			if (i >= text.length) fail('unterminated string');
			const ch = text[i]!;
			if (ch === '"') {
				i++;
				return out;
			}
			if (ch === '\\') {
				const e = text[i + 1];
				const simple: Record<string, string> = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'};
				if (e !== undefined && e in simple) {
					out += simple[e];
					i += 2;
				} else if (e === 'u') {
					const hex = text.slice(i + 2, i + 6);
					if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
					out += String.fromCharCode(parseInt(hex, 16));
					i += 6;
				} else fail('bad escape');
				continue;
			}
			if (ch.charCodeAt(0) < 0x20) fail('control character in string');
			out += ch;
			i++;
		}
	};
	const num = (): PyJson => {
		const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
		if (!m) return fail('bad number');
		i += m[0].length;
		if (m[1] !== undefined || m[2] !== undefined) return new PyFloat(Number(m[0]));
		const n = Number(m[0]);
		return Number.isSafeInteger(n) ? n : BigInt(m[0]);
	};
	const value = (depth: number): PyJson => {
		if (depth > MAX_DEPTH) fail('nesting too deep');
		ws();
		const ch = text[i];
		if (ch === '{') {
			i++;
			const obj: Record<string, PyJson> = {};
			ws();
			if (text[i] === '}') {
				i++;
				return obj;
			}
			for (;;) {
				ws();
				if (text[i] !== '"') fail('expected key');
				const key = str();
				if (FORBIDDEN_KEYS.has(key)) throw new JsonSyntaxError(`invalid JSON: forbidden key "${key}"`);
				ws();
				if (text[i] !== ':') fail("expected ':'");
				i++;
				Object.defineProperty(obj, key, {value: value(depth + 1), enumerable: true, writable: true, configurable: true});
				ws();
				if (text[i] === ',') i++;
				else if (text[i] === '}') {
					i++;
					return obj;
				} else fail("expected ',' or '}'");
			}
		}
		if (ch === '[') {
			i++;
			const arr: PyJson[] = [];
			ws();
			if (text[i] === ']') {
				i++;
				return arr;
			}
			for (;;) {
				arr.push(value(depth + 1));
				ws();
				if (text[i] === ',') i++;
				else if (text[i] === ']') {
					i++;
					return arr;
				} else fail("expected ',' or ']'");
			}
		}
		if (ch === '"') return str();
		if (ch === 't') return literal('true', true);
		if (ch === 'f') return literal('false', false);
		if (ch === 'n') return literal('null', null);
		if (ch === 'N') return literal('NaN', new PyFloat(NaN));
		if (ch === 'I') return literal('Infinity', new PyFloat(Infinity));
		if (ch === '-' && text.startsWith('-Infinity', i)) return literal('-Infinity', new PyFloat(-Infinity));
		return num();
	};
	const result = value(0);
	ws();
	if (i !== text.length) fail('extra data');
	return result;
}
