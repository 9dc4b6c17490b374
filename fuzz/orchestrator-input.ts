// Hostile cases against validation, all validly signed by a registered miner so they pass auth:
// wrong types, absurd numbers, hostile strings and keys, deep nesting, __proto__ and friends,
// and repeated or unknown query parameters.
import {randomUUID} from 'node:crypto';
import type {Fixture} from './orchestrator-fixture.js';
import {partition, PUBLIC, SIGNED, signed, weightsQuery, type Case, type Route} from './orchestrator-routes.js';

type Kind = 'string' | 'nullable' | 'number' | 'object' | 'array';
/** A body field: the route, a path into its body, what type it holds. */
interface Field {
	route: Route;
	at: (string | number)[];
	kind: Kind;
	/** Raw JSON number texts that are valid here (left out of the absurd ones). */
	validNumbers?: string[];
}

const route = (name: string) => SIGNED.find(r => r.name === name)!;
/** Publishes hostile only in the one field changed: the base is a duplicate forward of S1. */
const statusRoute: Route = {...route('miners/status'), body: fx => ({status: 'forward', activation_uid: fx.samples.s1, activation_path: fx.keys['s1-forward-again']})};

const FIELDS: Field[] = [
	{route: statusRoute, at: ['status'], kind: 'string'},
	{route: statusRoute, at: ['activation_uid'], kind: 'nullable'},
	{route: statusRoute, at: ['activation_path'], kind: 'nullable'},
	{route: route('report_loss'), at: ['activation_uid'], kind: 'string'},
	{route: route('report_loss'), at: ['loss_value'], kind: 'number', validNumbers: ['1.5']},
	{route: route('multipart/initiate'), at: ['path'], kind: 'string'},
	{route: route('multipart/initiate'), at: ['file_size'], kind: 'number', validNumbers: ['0', '-0.0', '604801']},
	{route: route('multipart/initiate'), at: ['part_size'], kind: 'number', validNumbers: ['604801']},
	{route: route('multipart/initiate'), at: ['expires_in'], kind: 'number'},
	{route: route('multipart/complete'), at: ['path'], kind: 'string'},
	{route: route('multipart/complete'), at: ['upload_id'], kind: 'string'},
	{route: route('multipart/complete'), at: ['parts'], kind: 'array'},
	{route: route('multipart/complete'), at: ['parts', 0, 'PartNumber'], kind: 'number'},
	{route: route('multipart/complete'), at: ['parts', 0, 'ETag'], kind: 'string'},
	{route: route('presigned_url'), at: ['path'], kind: 'string'},
	{route: route('presigned_url'), at: ['expires_in'], kind: 'number'},
	...(['layer', 'chunk_number'] as const).map((k): Field => ({route: route('notify_merged_partitions'), at: [0, k], kind: 'number', validNumbers: ['0', '-0.0']})),
	...['miner_hotkey', 'weight_path', 'optimizer_state_metadata_path'].map((k): Field => ({route: route('notify_merged_partitions'), at: [0, k], kind: 'string'})),
	{route: route('notify_merged_partitions'), at: [0, 'weight_data'], kind: 'object'},
	{route: route('notify_merged_partitions'), at: [0, 'weight_data', 'chunk_start_idx'], kind: 'number', validNumbers: ['0', '-0.0']},
	{route: route('notify_merged_partitions'), at: [0, 'weight_data', 'chunk_dtype'], kind: 'string'},
];

const TYPED: [string, Kind[]][] = [
	['null', ['object', 'array', 'string', 'number']],
	['true', ['object', 'array', 'string', 'number', 'nullable']],
	['1', ['object', 'array', 'string', 'nullable']],
	['1.5', ['object', 'array', 'string', 'nullable']],
	['""', ['object', 'array', 'number', 'string', 'nullable']],
	['"1"', ['object', 'array', 'number']],
	['[]', ['object', 'array', 'string', 'number', 'nullable']],
	['[1]', ['object', 'array', 'string', 'number', 'nullable']],
	['{}', ['object', 'array', 'string', 'number', 'nullable']],
	['{"a": 1}', ['object', 'array', 'string', 'number', 'nullable']],
];

const ABSURD = ['-1', '0', '-0.0', '1e308', '5e-324', '-5e-324', 'NaN', 'Infinity', '-Infinity', '1e400', '1.5', '604801', '123456789012345678901234567890', '9007199254740993', '-9223372036854775808', '4e15'];

/** The route's body with the value at `at` replaced by the raw JSON text `raw`. */
function bodyWith(fx: Fixture, f: Field, raw: string | undefined): string {
	const body = structuredClone(f.route.body!(fx)) as Record<string | number, unknown>;
	let parent = body;
	for (const k of f.at.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
	const last = f.at[f.at.length - 1]!;
	if (raw === undefined) delete parent[last];
	else parent[last] = '@@VALUE@@';
	return JSON.stringify(body).replace('"@@VALUE@@"', raw ?? '');
}

const fieldCase = (f: Field, what: string, raw: string | undefined): Case => ({
	name: `${f.route.name}: ${f.at.join('.')} ${what}`,
	build: fx => signed(fx, f.route, {body: bodyWith(fx, f, raw)}),
});

export function typeCases(): Case[] {
	const cases = FIELDS.flatMap(f => TYPED.filter(([, kinds]) => kinds.includes(f.kind)).map(([raw]) => fieldCase(f, `= ${raw}`, raw)));
	cases.push(...FIELDS.filter(f => f.kind !== 'nullable' && !['part_size', 'expires_in'].includes(String(f.at.at(-1)))).map(f => fieldCase(f, 'missing', undefined)));
	for (const r of SIGNED.filter(r => r.body)) {
		for (const raw of ['[]', '"x"', '1', 'null', 'true', '[{}]', '{"unknown": 1}']) {
			cases.push({name: `${r.name}: body ${raw}`, build: fx => signed(fx, r, {body: raw})});
		}
	}
	return cases;
}

export function numberCases(): Case[] {
	const numeric = FIELDS.filter(f => f.kind === 'number');
	return numeric.flatMap(f => ABSURD.filter(n => !(f.validNumbers ?? []).includes(n)).map(n => fieldCase(f, `= ${n}`, n)));
}

const UIDS = ['"a\\u0000b"', 'UID + "\\r\\n"', '"x"', '"../../../etc/passwd"', '"\\u202e" + UID', `"${'7'.repeat(3000)}"`, 'UID + " "', '"\' OR 1=1 --"'];
const PATHS = (fx: Fixture, uid: string): string[] => [
	'../../etc/passwd',
	`activations/${uid}/0/forward/../../../x.bin`,
	'/etc/passwd',
	'activations/..%2F..%2Fx/0/forward/y.bin',
	'http://127.0.0.1:1/iota-devnet/%E0%A4%A',
	'http://[::1',
	'https://%zz/x',
	`http://127.0.0.1:1/iota-devnet/${'a'.repeat(1100)}`,
	'a'.repeat(1025),
	`weights/${fx.miners[1]!.address}/1/0/${randomUUID()}.bin`,
	`activations/${uid}\u0000/0/forward/y.bin`,
	`activations/${uid}/0/forward/y.bin\r\nX-Injected: 1`,
	`activations/${uid}/7/forward/${randomUUID()}.bin`,
	'\u{1F600}/x',
	'file:///etc/passwd',
	'\\\\server\\share\\x',
	'x'.repeat(2100),
	'%2e%2e/%2e%2e/x',
];

export function stringCases(): Case[] {
	const cases: Case[] = [];
	for (const f of FIELDS.filter(f => f.at.at(-1) === 'activation_uid')) {
		for (const expr of UIDS) {
			cases.push({name: `${f.route.name}: activation_uid ${expr.slice(0, 40)}`, build: fx => signed(fx, f.route, {body: bodyWith(fx, f, JSON.stringify(evalUid(expr, fx.samples.s1)))})});
		}
	}
	const pathFields = FIELDS.filter(f => /path$/.test(String(f.at.at(-1))));
	for (const f of pathFields) {
		for (let i = 0; i < 18; i++) {
			cases.push({name: `${f.route.name}: ${f.at.join('.')} hostile path #${i}`, build: fx => signed(fx, f.route, {body: bodyWith(fx, f, JSON.stringify(PATHS(fx, fx.samples.s1)[i]))})});
		}
	}
	for (const f of FIELDS.filter(f => ['upload_id', 'ETag', 'miner_hotkey', 'chunk_dtype'].includes(String(f.at.at(-1))))) {
		for (const v of ['a\u0000b', 'a\r\nb', 'x'.repeat(3000), '\u{1F600}']) {
			cases.push({name: `${f.route.name}: ${f.at.join('.')} = ${JSON.stringify(v).slice(0, 20)}`, build: fx => signed(fx, f.route, {body: bodyWith(fx, f, JSON.stringify(v))})});
		}
	}
	const isActive = route('is_active');
	for (const q of ['%00', '%0d%0a', 'x'.repeat(200), '..%2F..%2Fetc', '%E0%A4%A', '%F0%9F%98%80']) {
		cases.push({name: `is_active: activation_uid=${q.slice(0, 20)}`, build: fx => signed(fx, isActive, {path: `/storage/activations/is_active?layer=1&activation_uid=${q}`})});
	}
	for (const h of ['%00', '..%2F..%2Fetc', '%E0%A4%A', 'a'.repeat(90), '%F0%9F%98%80', '%2e%2e']) {
		cases.push({name: `miner_detail/${h.slice(0, 20)}`, build: () => ({method: 'GET', path: `/orchestrator/metrics/miner_detail/${h}`})});
	}
	return cases;
}

const evalUid = (expr: string, uid: string): string => (JSON.parse(`[${expr.replaceAll('UID', JSON.stringify(uid)).replaceAll(' + ', ',')}]`) as string[]).join('');

export function nestedCases(): Case[] {
	const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
	const deepObject = (n: number) => `${'{"a": '.repeat(n)}1${'}'.repeat(n)}`;
	return SIGNED.flatMap((r): Case[] => [
		{name: `${r.name}: 1000-deep array`, build: fx => signed(fx, r, {body: deepArray(1000)})},
		{name: `${r.name}: 100 unclosed brackets`, build: fx => signed(fx, r, {body: '['.repeat(100)})},
		{name: `${r.name}: 70-deep object`, build: fx => signed(fx, r, {body: deepObject(70)})},
		{name: `${r.name}: 40-deep object in a field`, build: fx => signed(fx, r, {body: JSON.stringify({...(bodyObject(fx, r)), status: 'X'}).replace('"X"', deepObject(40))})},
		{name: `${r.name}: 1900 zeros`, build: fx => signed(fx, r, {body: `[${Array(1900).fill(0).join(',')}]`})},
	]);
}

export function protoCases(): Case[] {
	const bodies = (fx: Fixture, r: Route): string[] => {
		const base = JSON.stringify(bodyObject(fx, r));
		return [`{"__proto__": ${base}}`, `{"constructor": {"prototype": ${base}}}`, `[{"__proto__": ${JSON.stringify(partition(fx))}}]`, `{"a": {"__proto__": {"polluted": true}}}`];
	};
	const queries = ['__proto__[status]=idle', 'constructor[prototype][x]=1', '__proto__=x', 'prototype=1'];
	const cases: Case[] = [];
	for (const r of SIGNED) {
		for (let i = 0; i < 4; i++) cases.push({name: `${r.name}: __proto__ body #${i}`, build: fx => signed(fx, r, {body: bodies(fx, r)[i]})});
		for (const q of queries) cases.push({name: `${r.name}: query ${q}`, build: fx => signed(fx, r, {path: `${r.path(fx)}${r.path(fx).includes('?') ? '&' : '?'}${q}`})});
	}
	for (const p of PUBLIC) {
		for (const q of queries) cases.push({name: `${p.name}: query ${q}`, build: fx => ({method: 'GET', path: `${p.path(fx)}${p.path(fx).includes('?') ? '&' : '?'}${q}`})});
		cases.push({name: `${p.name}: __proto__ body`, build: fx => ({method: 'GET', path: p.path(fx), body: '{"__proto__": {"x": 1}}'})});
	}
	return cases;
}

export function queryCases(): Case[] {
	const r = (name: string) => route(name);
	const cases: Case[] = [
		{name: 'is_active: layer twice', build: fx => signed(fx, r('is_active'), {path: `/storage/activations/is_active?layer=1&layer=2&activation_uid=${fx.samples.s1}`})},
		{name: 'is_active: activation_uid twice', build: fx => signed(fx, r('is_active'), {path: `/storage/activations/is_active?layer=1&activation_uid=${fx.samples.s1}&activation_uid=${fx.samples.s2}`})},
		{name: 'is_active: layer[]', build: fx => signed(fx, r('is_active'), {path: `/storage/activations/is_active?layer[]=1&activation_uid=${fx.samples.s1}`})},
		{name: 'is_active: empty layer', build: fx => signed(fx, r('is_active'), {path: `/storage/activations/is_active?layer=&activation_uid=${fx.samples.s1}`})},
		{name: 'is_active: no parameters', build: fx => signed(fx, r('is_active'), {path: '/storage/activations/is_active'})},
		{name: 'is_merging: layer twice', build: () => ({method: 'GET', path: '/orchestrator/is_merging?layer=0&layer=1'})},
		{name: 'is_merging: layer 99', build: () => ({method: 'GET', path: '/orchestrator/is_merging?layer=99'})},
		{name: 'is_merging: layer -1', build: () => ({method: 'GET', path: '/orchestrator/is_merging?layer=-1'})},
		{name: 'is_merging: layer 1e1', build: () => ({method: 'GET', path: '/orchestrator/is_merging?layer=1e1'})},
		{name: 'presigned_url: path twice', build: fx => signed(fx, r('presigned_url'), {body: undefined, path: `/storage/presigned_url?path=a&path=b`})},
		{name: 'presigned_url: expires_in a year', build: fx => signed(fx, r('presigned_url'), {body: undefined, path: `/storage/presigned_url?path=metadata/weights/${fx.miners[0]!.address}/1/0/x.json&expires_in=31536000`})},
		{name: 'presigned_url: expires_in -5', build: fx => signed(fx, r('presigned_url'), {body: undefined, path: `/storage/presigned_url?path=metadata/weights/${fx.miners[0]!.address}/1/0/x.json&expires_in=-5`})},
		...['-1', '99', '1e1', 'abc', '0x1', '%00'].map((l): Case => ({name: `weights/layer/${l}`, build: fx => signed(fx, r('weights/layer'), {path: `/storage/weights/layer/${l}`})})),
	];
	for (const key of ['weights_path', 'metadata_path', 'optimizer_state_path', 'optimizer_state_metadata_path']) {
		cases.push({name: `notify_weights_uploaded: ${key} twice`, build: fx => signed(fx, r('notify_weights_uploaded'), {path: `/orchestrator/miners/notify_weights_uploaded?${weightsQuery(fx)}&${key}=x`})});
	}
	for (const route of SIGNED) cases.push({name: `${route.name}: unknown parameter`, build: fx => signed(fx, route, {path: `${route.path(fx)}${route.path(fx).includes('?') ? '&' : '?'}admin=1`})});
	for (const p of PUBLIC) cases.push({name: `${p.name}: unknown parameter`, build: fx => ({method: 'GET', path: `${p.path(fx)}${p.path(fx).includes('?') ? '&' : '?'}admin=1`})});
	return cases;
}

const bodyObject = (fx: Fixture, r: Route): object => {
	const b = r.body?.(fx);
	return b && !Array.isArray(b) ? (b as object) : {};
};
