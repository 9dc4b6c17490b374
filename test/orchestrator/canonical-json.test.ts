// The canonical serializer against Python's own json.dumps(obj, sort_keys=True), byte for byte.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {createHash} from 'node:crypto';
import {canonicalJson, pyFloat, PyFloat, type PyJson} from '../../source/orchestrator/canonical-json.js';
import {parsePyJson} from '../../source/orchestrator/py-json-parse.js';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const COUNT = 1500;

// Small seeded PRNG (mulberry32) so a failure can be reproduced.
function rng(seed: number) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const SPECIAL_CHARS = ['é', 'ß', '中', '😀', '𝄞', '\u0000', '\u001f', '\u007f', '\u0080', '\u2028', '\uffff', '\ud800', '\udfff', '"', '\\', '/', '\n', '\t', '\r', '\b', '\f', ' ', '~', 'a', 'Z', '0', '$'];
const FLOATS = [0, -0, 1, -1, 0.1, 1.5, 1e16, 1e15, 123456789012345680, 1e-5, 1e-4, 0.0001234, 1e22, 1e100, 5e-324, 1.7976931348623157e308, 2 ** 53, 0.30000000000000004, 100, 1e21, 3.14159, -2.5e-7, NaN, Infinity, -Infinity];

function generate(rand: () => number, depth: number): PyJson {
	const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
	const str = () => {
		let s = '';
		const n = Math.floor(rand() * 8);
		for (let i = 0; i < n; i++) s += rand() < 0.5 ? String.fromCharCode(32 + Math.floor(rand() * 95)) : pick(SPECIAL_CHARS);
		return s;
	};
	const kind = depth > 3 ? Math.floor(rand() * 6) : Math.floor(rand() * 8);
	switch (kind) {
		case 0: return null;
		case 1: return rand() < 0.5;
		case 2: {
			const r = rand();
			if (r < 0.1) return BigInt(Math.floor(rand() * 1e9)) * 10n ** 15n * (rand() < 0.5 ? -1n : 1n);
			return Math.floor((rand() - 0.5) * 10 ** Math.floor(rand() * 16));
		}
		case 3: {
			if (rand() < 0.5) return pyFloat(pick(FLOATS));
			const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
			return rand() < 0.5 ? x : pyFloat(x);
		}
		case 4: case 5: return str();
		case 6: return Array.from({length: Math.floor(rand() * 4)}, () => generate(rand, depth + 1));
		default: {
			const obj: Record<string, PyJson> = {};
			const n = Math.floor(rand() * 5);
			for (let i = 0; i < n; i++) obj[str()] = generate(rand, depth + 1);
			return obj;
		}
	}
}

// A tagged form that carries the Python types independently of the serializer under test.
function tag(v: PyJson): unknown {
	if (v === null) return ['n'];
	if (typeof v === 'boolean') return ['b', v];
	if (typeof v === 'bigint') return ['i', v.toString()];
	if (typeof v === 'number' && Number.isInteger(v)) return ['i', BigInt(v).toString()];
	if (typeof v === 'number' || v instanceof PyFloat) {
		const buf = Buffer.alloc(8);
		buf.writeDoubleLE(Number(v));
		return ['f', buf.toString('hex')];
	}
	if (typeof v === 'string') return ['s', v];
	if (Array.isArray(v)) return ['l', v.map(tag)];
	return ['d', Object.entries(v).map(([k, x]) => [k, tag(x as PyJson)])];
}

const PY_SCRIPT = `
import json, struct, sys
def untag(t):
    k = t[0]
    if k == 'n': return None
    if k == 'b': return t[1]
    if k == 'i': return int(t[1])
    if k == 'f': return struct.unpack('<d', bytes.fromhex(t[1]))[0]
    if k == 's': return t[1]
    if k == 'l': return [untag(x) for x in t[1]]
    return {kk: untag(v) for kk, v in t[1]}
for line in sys.stdin:
    sys.stdout.write(json.dumps(untag(json.loads(line)), sort_keys=True) + "\\n")
`;

test(`canonicalJson matches Python json.dumps(sort_keys=True) on ${COUNT} generated objects`, () => {
	const rand = rng(20250627);
	const objects: PyJson[] = [
		{b: pyFloat(1), a: 'é', c: [1, 2], d: null, e: true},
		{}, [], '', {'': {}, ' ': []}, pyFloat(1), 1, {'😀': 1, '\uffff': 2, 'z': 3, '\ud800': 4},
	];
	while (objects.length < COUNT) objects.push(generate(rand, 0));
	const input = objects.map(o => JSON.stringify(tag(o))).join('\n') + '\n';
	const r = spawnSync(PYTHON, ['-c', PY_SCRIPT], {input, encoding: 'utf8', maxBuffer: 64 << 20});
	assert.equal(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n');
	assert.equal(lines.length, COUNT + 1);
	let floats = 0;
	for (let i = 0; i < COUNT; i++) {
		const mine = canonicalJson(objects[i]);
		assert.equal(mine, lines[i], `object ${i}: ${JSON.stringify(tag(objects[i]!))}`);
		// Round trip through the Python-semantics parser gives the same text back.
		assert.equal(canonicalJson(parsePyJson(lines[i]!)), lines[i]);
		if (/\d\.\d|e[+-]\d/.test(mine)) floats++;
	}
	assert.ok(floats > 100, 'the generated set holds floats');
});

test('the chain notes test vector and the empty body hash', () => {
	const text = canonicalJson({b: pyFloat(1), a: 'é', c: [1, 2], d: null, e: true});
	assert.equal(text, '{"a": "\\u00e9", "b": 1.0, "c": [1, 2], "d": null, "e": true}');
	assert.equal(createHash('sha256').update(text).digest('hex'), 'fb9ae109395552a6a5f8a62076f5c4c36624e0f3679f084dd6c9c24aa3ad5aec');
	assert.equal(createHash('sha256').update(canonicalJson({})).digest('hex'), '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
});

test('parsePyJson keeps floats, big ints and rejects bad input', () => {
	const v = parsePyJson('{"x": 1.0, "y": 2, "z": 123456789012345678901, "w": 1e5}') as Record<string, PyJson>;
	assert.ok(v.x instanceof PyFloat);
	assert.equal(v.y, 2);
	assert.equal(v.z, 123456789012345678901n);
	assert.equal(canonicalJson(v), '{"w": 100000.0, "x": 1.0, "y": 2, "z": 123456789012345678901}');
	assert.throws(() => parsePyJson('{"a": 1,}'), /invalid JSON/);
	assert.throws(() => parsePyJson('[1] x'), /extra data/);
});
