// The hostile replies the miner fuzzer serves: each case swaps one orchestrator route or store
// behaviour for a hostile one and says which request shows the miner met it.
import {randomUUID} from 'node:crypto';
import {saveTorch, tensor} from '../source/training/torch/index.js';
import type {Fakes, Reply, Route} from './miner-fakes.js';

export type Case = {
	name: string;
	row: 'orchestrator' | 'store';
	layer?: number;
	setup(f: Fakes): void;
	/** Served when this route was hit (or the predicate holds). */
	trigger: string | ((f: Fakes) => boolean);
	/** Hits of this route after the trigger; more than `spinLimit` in the window is a tight loop. */
	spin?: string;
	/** Must hold before stop (the miner still makes progress), else the case counts as hung. */
	progress?: (f: Fakes) => boolean;
	observeMs?: number;
	/** Part of the --reduced run. */
	reduced?: boolean;
};

/** The uid of hostile work: a batch for it means the miner used the hostile data. */
export const MARK = '0badc0de-0000-4000-8000-00000000f00d';
export const HOSTILE_UIDS = ['../../etc/passwd', 'a/b?c#d', '%2e%2e%2f', 'x'.repeat(5000), "'; DROP TABLE", '\u0000nul', '<script>'];

const RANDOM = 'POST /storage/activations/random';
const STATUS = 'POST /orchestrator/miners/status';
const INITIATE = 'POST /storage/multipart_upload/initiate';
const noWork = {activation_uid: null, activation_path: null, direction: null, initial_activation: null, initial_activation_path: null, reason: 'no_activation_found'};

/** Hands out `work` once (or always), then no work. */
const once = (f: Fakes, work: Record<string, unknown>, always = false): void => {
	let served = false;
	f.routes.set(RANDOM, () => {
		if (served && !always) return {json: noWork};
		served = true;
		return {json: {...noWork, reason: null, ...work}};
	});
};
const forward = (path: (f: Fakes) => string, uid = MARK) => (f: Fakes) => once(f, {activation_uid: uid, activation_path: path(f), direction: 'forward'});
const reply = (route: string, r: Reply | ((f: Fakes) => Reply), layer?: number, reduced = false): Omit<Case, 'name' | 'row'> => ({
	layer,
	setup: f => f.routes.set(route, () => (typeof r === 'function' ? r(f) : r)),
	trigger: route,
	reduced,
});
/** The store answers GETs of hostile work with `r`. */
const storeGet = (r: Reply | ((f: Fakes) => Reply), reduced = false): Omit<Case, 'name' | 'row'> => ({
	setup: f => {
		forward(g => `${g.storeUrl}/hostile/in.bin`)(f);
		const route: Route = q => (q.method === 'GET' && q.path === '/hostile/in.bin' ? (typeof r === 'function' ? r(f) : r) : undefined);
		f.storeRoutes.push(route);
	},
	trigger: f => f.hitCount('store GET /hostile/in.bin') > 0,
	reduced,
});
/** The store answers activation PUTs with `r` (layer 0 makes them). */
const storePut = (r: Reply | ((f: Fakes) => Reply), reduced = false): Omit<Case, 'name' | 'row'> => ({
	layer: 0,
	setup: f => f.storeRoutes.push(q => (q.method === 'PUT' ? (typeof r === 'function' ? r(f) : r) : undefined)),
	trigger: f => [...f.hits.keys()].some(k => k.startsWith('store PUT')),
	reduced,
});
const initiate = (data: (f: Fakes, size: number) => unknown, reduced = false): Omit<Case, 'name' | 'row'> => ({
	layer: 0,
	setup: f => f.routes.set(INITIATE, q => ({json: {message: 'ok', data: data(f, Number((q.json as {file_size?: number})?.file_size ?? 0))}})),
	trigger: INITIATE,
	reduced,
});
const multipart = (urls: (f: Fakes, n: number) => {url: string}[], n: number, partSize: number, extra: Record<string, unknown> = {}) =>
	initiate(f => ({use_multipart: true, multipart_data: {upload_id: 'u1', presigned_urls: urls(f, n), part_numbers: Array.from({length: n}, (_, i) => i + 1)}, part_size: partSize, total_parts: n, ...extra}));
const parts = (f: Fakes, n: number) => Array.from({length: n}, (_, i) => ({url: `${f.storeUrl}/part/${i + 1}`}));

const HUGE = 600 * 1024 * 1024;
const storm = (status: number, headers?: Record<string, string>): Reply => ({status, json: {detail: `storm ${status}`}, headers});
const html: Reply = {body: '<!doctype html><html><body>Bad gateway</body></html>', headers: {'content-type': 'text/html'}};
// Activations travel as torch.save bf16 tensors: hostile ones carry NaN, another dtype, another width.
const nanActivation = () => saveTorch(tensor('bfloat16', [2, 16, 8], new Uint16Array(256).fill(0x3f00).map((v, i) => (i === 5 ? 0x7fc0 : v))));
const float32Activation = () => saveTorch(tensor('float32', [2, 16, 8], new Float32Array(256).fill(0.5)));
const wideActivation = () => saveTorch(tensor('bfloat16', [2, 16, 4096], new Uint16Array(2 * 16 * 4096)));

const orchestrator: [string, Omit<Case, 'name' | 'row'>][] = [
	['register: not JSON', reply('POST /orchestrator/register_miner', {body: '{"hotkey": '}, 1, true)],
	['register: HTML 200', reply('POST /orchestrator/register_miner', html)],
	['register: layer -1', reply('POST /orchestrator/register_miner', {json: {hotkey: 'x', layer: -1, message: 'ok', version: 'v'}})],
	['register: layer 1e9', reply('POST /orchestrator/register_miner', {json: {hotkey: 'x', layer: 1e9, message: 'ok', version: 'v'}})],
	['register: layer as string', reply('POST /orchestrator/register_miner', {json: {hotkey: 'x', layer: '1', message: 'ok', version: 'v'}})],
	['register: 401 storm', reply('POST /orchestrator/register_miner', storm(401))],
	['register: 500 storm', reply('POST /orchestrator/register_miner', storm(500), undefined, true)],
	['register: 429 with Retry-After 1e9', reply('POST /orchestrator/register_miner', storm(429, {'retry-after': '1000000000'}))],
	['register: redirect to another host', reply('POST /orchestrator/register_miner', f => ({status: 307, headers: {location: `${f.foreignUrl}/orchestrator/register_miner`}}), undefined, true)],
	['register: 600 MB reply', reply('POST /orchestrator/register_miner', {huge: HUGE}, undefined, true)],
	['register: drip one byte a second', reply('POST /orchestrator/register_miner', {drip: 1000}, undefined, true)],
	['register: never answers', reply('POST /orchestrator/register_miner', {hang: true})],
	['register: connection reset', reply('POST /orchestrator/register_miner', {reset: true})],
	['settings: layers 1e9', reply('GET /orchestrator/settings', {json: {layers: 1e9}})],
	['settings: 600 MB reply', reply('GET /orchestrator/settings', {huge: HUGE, fill: ' '})],
	['weights/layer: partition past the model', reply('GET /storage/weights/layer', f => ({json: [partition(f, 0, 1e15)]}))],
	['weights/layer: partition on a data: URL', reply('GET /storage/weights/layer', () => ({json: [{...partition(null, 0, 4), weight_path: 'data:application/octet-stream;base64,AAAAAAAA'}]}), undefined, true)],
	['weights/layer: partition on another host', reply('GET /storage/weights/layer', f => ({json: [{...partition(f, 0, 4), weight_path: `${f.foreignUrl}/w.bin`}]}))],
	['weights/layer: 100k partitions', reply('GET /storage/weights/layer', f => ({json: Array.from({length: 5000}, () => partition(f, 0, 4))}))],
	['random: not JSON', reply(RANDOM, {body: 'nope'})],
	['random: HTML 200', reply(RANDOM, html, undefined, true)],
	['random: wrong types', reply(RANDOM, {json: {...noWork, direction: 7, activation_uid: 42}})],
	['random: unknown direction', reply(RANDOM, {json: {...noWork, direction: 'sideways', activation_uid: MARK, activation_path: 'x'}})],
	['random: 600 MB reply', reply(RANDOM, {huge: HUGE}, undefined, true)],
	['random: drip one byte a second', reply(RANDOM, {drip: 1000})],
	['random: 401 storm', reply(RANDOM, storm(401))],
	['random: 500 storm', reply(RANDOM, storm(500))],
	['random: 429 storm, Retry-After 1e9', reply(RANDOM, storm(429, {'retry-after': '1e9'}), undefined, true)],
	['random: 409 with an unknown phase', reply(RANDOM, {status: 409, json: {detail: {expected_state: 'x'.repeat(1000)}}})],
	['random: redirect to another host', reply(RANDOM, f => ({status: 302, headers: {location: `${f.foreignUrl}/storage/activations/random`}}))],
	['forward: data: URL', {setup: forward(() => 'data:application/octet-stream;base64,SU9UQQEBAwA='), trigger: RANDOM, reduced: true}],
	['forward: file: URL', {setup: forward(() => 'file:///etc/passwd'), trigger: RANDOM, reduced: true}],
	['forward: ftp: URL', {setup: forward(f => `ftp://${new URL(f.storeUrl).host}/act/in.bin`), trigger: RANDOM}],
	['forward: another host', {setup: forward(f => `${f.foreignUrl}/act/in.bin`), trigger: RANDOM, reduced: true}],
	['forward: credentials in the URL', {setup: forward(f => f.storeUrl.replace('http://', 'http://user:pw@') + '/act/in.bin'), trigger: RANDOM}],
	['forward: not a URL', {setup: forward(() => 'javascript:alert(1)'), trigger: RANDOM}],
	...HOSTILE_UIDS.map((uid, i): [string, Omit<Case, 'name' | 'row'>] => [`forward: hostile uid #${i + 1}`, {setup: forward(f => `${f.storeUrl}/act/in.bin`, uid), trigger: RANDOM, reduced: i === 0}]),
	['forward: no activation path', {setup: f => once(f, {activation_uid: MARK, activation_path: null, direction: 'forward'}), trigger: RANDOM}],
	['backward: unknown uid, over and over', {setup: f => once(f, {activation_uid: randomUUID(), activation_path: `${f.storeUrl}/act/in.bin`, direction: 'backward'}, true), trigger: RANDOM, spin: RANDOM, observeMs: 4000, reduced: true}],
	['backward: hostile uid, over and over', {setup: f => once(f, {activation_uid: '../../x', activation_path: `${f.storeUrl}/act/in.bin`, direction: 'backward'}, true), trigger: RANDOM, spin: RANDOM, observeMs: 4000}],
	['initial: handed to a miner, over and over', {setup: f => once(f, {activation_uid: randomUUID(), activation_path: `${f.storeUrl}/act/in.bin`, direction: 'initial'}, true), trigger: RANDOM, spin: RANDOM, observeMs: 4000}],
	['status: 401 four times, then fine', {layer: 0, setup: f => failFirst(f, STATUS, 4, storm(401)), trigger: STATUS, progress: f => f.published.length >= 3, observeMs: 12_000, reduced: true}],
	['status: HTML 200 four times, then fine', {layer: 0, setup: f => failFirst(f, STATUS, 4, html), trigger: STATUS, progress: f => f.published.length >= 3, observeMs: 12_000}],
	['status: 500 storm', reply(STATUS, storm(500), 0)],
	['status: drip', reply(STATUS, {drip: 1000}, 0)],
	['initiate: 27,000 one-byte parts', {...multipart(parts, 27_000, 1), reduced: true}],
	['initiate: parts that do not add up', multipart(parts, 3, 5 * 1024 * 1024)],
	['initiate: 1e9 parts claimed', initiate(f => ({use_multipart: true, multipart_data: {upload_id: 'u', presigned_urls: parts(f, 2), part_numbers: [1, 2]}, part_size: 1, total_parts: 1e9}))],
	['initiate: data: presigned URL', initiate(() => ({use_multipart: false, presigned_data: 'data:text/plain,hi'}), true)],
	['initiate: file: presigned URL', initiate(() => ({use_multipart: false, presigned_data: 'file:///tmp/iota-fuzz-owned'}))],
	['initiate: another host', initiate(f => ({use_multipart: false, presigned_data: `${f.foreignUrl}/x`}), true)],
	['initiate: multipart parts on another host', multipart((f, n) => Array.from({length: n}, () => ({url: `${f.foreignUrl}/p`})), 1, 100 * 1024 * 1024)],
	['initiate: 600 MB reply', {...reply(INITIATE, {huge: HUGE}, 0)}],
	['initiate: never answers', {...reply(INITIATE, {hang: true}, 0)}],
];

const store: [string, Omit<Case, 'name' | 'row'>][] = [
	['GET: 600 MB body', storeGet({huge: HUGE, fill: '\u0000'}, true)],
	['GET: Content-Length of 2^53', storeGet({body: 'x', headers: {'content-length': String(2 ** 53)}})],
	['GET: drip one byte a second', storeGet({drip: 1000}, true)],
	['GET: never answers', storeGet({hang: true})],
	['GET: redirect to another host', storeGet(f => ({status: 302, headers: {location: `${f.foreignUrl}/act/in.bin`}}), true)],
	['GET: redirect to data:', storeGet({status: 301, headers: {location: 'data:application/octet-stream;base64,AAAA'}})],
	['GET: 500 storm', storeGet(storm(500))],
	['GET: 403', storeGet({status: 403, body: '<Error>AccessDenied</Error>'})],
	['GET: HTML instead of a tensor', storeGet(html)],
	['GET: float32 tensor instead of bfloat16', storeGet(() => ({body: float32Activation()}))],
	['GET: tensor 4096 wide instead of the bottleneck', storeGet(() => ({body: wideActivation()}))],
	['GET: a torch.save dict, not a tensor', storeGet(() => ({body: saveTorch(new Map([['x', tensor('bfloat16', [1], new Uint16Array(1))]]))}))],
	['GET: tensor with NaN', storeGet(() => ({body: nanActivation()}))],
	['GET: connection reset', storeGet({reset: true})],
	['GET: 206 partial when the whole was asked', storeGet({status: 206, body: 'IOTA'})],
	['PUT: 500 storm', storePut(storm(500))],
	['PUT: 429 storm', storePut(storm(429, {'retry-after': '99999'}))],
	['PUT: redirect to another host', storePut(f => ({status: 307, headers: {location: `${f.foreignUrl}/x`}}), true)],
	['PUT: never answers', storePut({hang: true}, true)],
	['PUT: drip reply', storePut({drip: 1000})],
	['PUT: 600 MB reply', storePut({huge: HUGE})],
	['PUT: connection reset', storePut({reset: true})],
];

function partition(f: Fakes | null, start: number, end: number) {
	const d = {chunk_start_idx: start, chunk_end_idx: end, chunk_start_byte: start * 2, chunk_end_byte: end * 2, chunk_dtype: 'bfloat16', chunk_length: end - start};
	const url = f ? `${f.storeUrl}/act/in.bin` : 'x';
	return {layer: 1, chunk_number: 0, miner_hotkey: 'x', weight_path: url, weight_metadata_path: url, optimizer_state_path: url, optimizer_state_metadata_path: url, weight_data: d, optimizer_state_data: d};
}

function failFirst(f: Fakes, route: string, n: number, r: Reply): void {
	let left = n;
	f.routes.set(route, () => (left-- > 0 ? r : undefined));
}

export const CASES: Case[] = [
	...orchestrator.map(([name, c]) => ({...c, name, row: 'orchestrator' as const})),
	...store.map(([name, c]) => ({...c, name, row: 'store' as const})),
];
