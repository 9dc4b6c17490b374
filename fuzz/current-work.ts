// Hostile cases against the current protocol's handlers: work in the wrong phase, foreign or unknown
// ids (activations, uploads, objects, queue entries, runs, chunks), and bodies and queries that break
// the schemas (wrong types, NaN/Infinity, huge numbers, deep nesting, bad JSON).
import {randomUUID} from 'node:crypto';
import type {CurrentFixture} from './current-fixture.js';
import {partitionOf, ROUTES, signedReq, type CurrentCase, type CurrentRoute} from './current-routes.js';

const route = (name: string): CurrentRoute => ROUTES.find(r => r.name === name)!;

/** A case sending `name`'s route with this body (an object, or raw JSON text), path or signer. */
function send(caseName: string, name: string, o: {body?: (fx: CurrentFixture) => unknown; text?: string; path?: (fx: CurrentFixture) => string; signer?: number}): CurrentCase {
	return {
		name: `${name}: ${caseName}`,
		build: fx => {
			const r = route(name);
			const body = o.text ?? (o.body ? JSON.stringify(o.body(fx)) : undefined);
			const opts = o.text !== undefined || o.body ? {body} : {};
			return signedReq(fx, r, {...opts, path: o.path?.(fx), pair: o.signer === undefined ? undefined : fx.miners[o.signer]});
		},
	};
}

/** The layers stay in training for the whole run (the host never merges). */
export function phaseCases(): CurrentCase[] {
	return [
		send('while training', 'submit_weights', {}),
		send('while training, by layer 0', 'submit_weights', {signer: 0}),
		send('while training', 'submit_optimizer_state', {}),
		send('while training', 'submit_merged_partitions', {}),
		send('while training, empty list', 'submit_merged_partitions', {body: () => ({partitions: [], attestation: null})}),
		send('while training', 'get_partitions', {}),
		send('while training', 'get_weight_path_per_layer', {}),
		send('while training, by the last layer', 'submit_weights', {signer: 2}),
	];
}

const activation = (fx: CurrentFixture, o: Record<string, unknown>) => ({direction: 'forward', activation_id: fx.activations.open, activation_path: null, ...o});
const s3Url = (key: string) => `http://127.0.0.1:1/other-bucket/${key}`;

export function idCases(): CurrentCase[] {
	return [
		// First, so the reduced run keeps it: it crashed the devnet's store (and with it the orchestrator).
		send('parts never uploaded', 'complete_multipart_upload', {}),
		send('unknown activation id', 'submit_activation', {body: fx => activation(fx, {activation_id: randomUUID()})}),
		send('activation id of 256 characters', 'submit_activation', {body: fx => activation(fx, {activation_id: 'a'.repeat(256)})}),
		send('no activation id', 'submit_activation', {body: fx => activation(fx, {activation_id: null})}),
		send('forward submitted twice', 'submit_activation', {body: fx => activation(fx, {activation_id: fx.activations.submitted})}),
		send('path: another miner\'s weights', 'submit_activation', {body: fx => activation(fx, {activation_path: fx.objects.weights1})}),
		send('path: another miner\'s partition', 'submit_activation', {body: fx => activation(fx, {activation_path: fx.objects.partition1})}),
		send('path: not in the store', 'submit_activation', {body: fx => activation(fx, {activation_path: `activation/devnet-run/${fx.miners[0]!.address}/0/${randomUUID()}.pt`})}),
		send('path: an open upload', 'submit_activation', {body: fx => activation(fx, {activation_path: fx.openUpload.object_name})}),
		send('path: a sample text', 'submit_activation', {body: fx => activation(fx, {activation_path: 'samples/devnet-run/0.txt'})}),
		send('path: ../ out of the bucket', 'submit_activation', {body: fx => activation(fx, {activation_path: `../${fx.objects.activation0}`})}),
		send('path: a URL into another bucket', 'submit_activation', {body: fx => activation(fx, {activation_path: s3Url(fx.objects.weights1)})}),
		send('path: empty after the bucket', 'submit_activation', {body: fx => activation(fx, {activation_path: 'http://127.0.0.1:1/'})}),
		send('path: control characters', 'submit_activation', {body: fx => activation(fx, {activation_path: 'activation/\u0000/x.pt'})}),
		send('own activation by layer 1, as layer 0\'s', 'submit_activation', {signer: 1, body: fx => activation(fx, {activation_path: fx.objects.activation0})}),
		send('unknown activation id', 'report_loss', {body: () => ({activation_id: randomUUID(), loss: 2.5})}),
		send('loss reported twice', 'report_loss', {body: fx => ({activation_id: fx.activations.submitted, loss: 2.5})}),
		send('by layer 0', 'report_loss', {signer: 0}),
		send('layer_idx of another layer', 'report_loss', {body: fx => ({activation_id: fx.activations.open, loss: 2.5, layer_idx: 0})}),
		send('another miner\'s open upload', 'complete_multipart_upload', {signer: 0}),
		send('wrong upload id', 'complete_multipart_upload', {body: fx => ({...fx.openUpload, upload_id: 'no-such-upload', parts: [{PartNumber: 1, ETag: 'x'}]})}),
		send('unknown object', 'complete_multipart_upload', {body: () => ({object_name: `weights/devnet-run/x/0/${randomUUID()}.blob`, upload_id: 'x', parts: [{PartNumber: 1, ETag: 'x'}]})}),
		send('part number past num_parts', 'complete_multipart_upload', {body: fx => ({...fx.openUpload, parts: [{PartNumber: 2, ETag: 'x'}]})}),
		send('the same part twice', 'complete_multipart_upload', {body: fx => ({...fx.openUpload, parts: [{PartNumber: 1, ETag: 'x'}, {PartNumber: 1, ETag: 'x'}]})}),
		send('no parts', 'complete_multipart_upload', {body: fx => ({...fx.openUpload, parts: []})}),
		send('a finished single-part object', 'complete_multipart_upload', {body: fx => ({object_name: fx.objects.weights1, upload_id: 'x', parts: [{PartNumber: 1, ETag: 'x'}]})}),
		send('another miner\'s queue entry', 'register/status', {signer: 0}),
		send('unknown queue entry', 'register/status', {path: () => `/miner/register/status/${randomUUID()}`}),
		send('queue id of 300 characters', 'register/status', {path: () => `/miner/register/status/${'q'.repeat(300)}`}),
		send('queue id with escapes', 'register/status', {path: () => '/miner/register/status/%2e%2e%2f%00'}),
		send('another miner\'s queue entry', 'register/confirm', {signer: 2}),
		send('unknown queue entry', 'register/confirm', {path: () => `/miner/register/confirm/${randomUUID()}`}),
		send('another run', 'get_run_epoch', {path: () => '/common/get_run_epoch?run_id=other-run'}),
		send('no run id', 'get_run_epoch', {path: () => '/common/get_run_epoch'}),
		send('run id twice', 'get_run_epoch', {path: () => '/common/get_run_epoch?run_id=devnet-run&run_id=other'}),
		send('run id of 300 characters', 'get_run_epoch', {path: () => `/common/get_run_epoch?run_id=${'r'.repeat(300)}`}),
		send('chunk past the largest', 'get_previous_partitions', {body: () => [100_001]}),
		send('negative chunk', 'get_previous_partitions', {body: () => [-1]}),
		send('chunk not a number', 'get_previous_partitions', {body: () => ['0']}),
		send('partition of another miner', 'submit_merged_partitions', {signer: 0, body: fx => ({partitions: [{...partitionOf(fx), layer: 0}], attestation: null})}),
		send('payout to a non-address', 'payout_coldkey', {body: () => ({payout_coldkey: 'not-an-address'})}),
		send('n_fwd_activations 0', 'get_activations', {body: () => ({n_fwd_activations: 0})}),
		send('n_fwd_activations 65', 'get_activations', {body: () => ({n_fwd_activations: 65})}),
		send('unknown file type', 'initiate_file_upload', {body: () => ({num_parts: 1, file_type: 'samples', multipart: true})}),
		send('num_parts over the limit', 'initiate_file_upload', {body: () => ({num_parts: 1001, file_type: 'weights', multipart: true})}),
		send('single part with num_parts 2', 'initiate_file_upload', {body: () => ({num_parts: 2, file_type: 'weights', multipart: false})}),
		send('unknown phase', 'heartbeat', {path: () => '/miner/heartbeat?expected_phase=merging'}),
		send('unknown query field', 'heartbeat', {path: () => '/miner/heartbeat?admin=1'}),
		send('p2p_node_id with spaces', 'register', {body: () => ({p2p_node_id: 'a b'})}),
		send('coldkey not an address', 'register', {body: () => ({p2p_node_id: 'fuzz-node', coldkey: 'x'})}),
	];
}

/** Each value breaks one field of a route's base body (the route stays valid otherwise). */
const HOSTILE_VALUES: [string, string][] = [
	['a string', '"1"'],
	['null', 'null'],
	['a list', '[1]'],
	['an object', '{"a": 1}'],
	['NaN', 'NaN'],
	['Infinity', 'Infinity'],
	['-Infinity', '-Infinity'],
	['1e309', '1e309'],
	['10^30', '1000000000000000000000000000000'],
	['-10^30', '-1000000000000000000000000000000'],
	['true', 'true'],
	['a 5000-character string', JSON.stringify('x'.repeat(5000))],
	['nested 100 deep', `${'['.repeat(100)}${']'.repeat(100)}`],
];

/** Whole-body texts that are not the route's shape at all. */
const HOSTILE_BODIES: [string, string][] = [
	['not JSON', '{"a": '],
	['a bare number', '42'],
	['a bare string', '"x"'],
	['a list', '[{}]'],
	['nested 1000 deep', `${'['.repeat(1000)}${']'.repeat(1000)}`],
	['nested objects 70 deep', `${'{"a":'.repeat(70)}1${'}'.repeat(70)}`],
	['a field added', '{"direction": "forward", "admin": true}'],
	['a duplicate key, the last one bad', '{"direction": "forward", "direction": NaN}'],
	['single quotes', "{'a': 1}"],
	['a trailing comma', '{"a": 1,}'],
	['a lone surrogate', '{"a": "\\ud800"}'],
	['a BOM first', '\ufeff{}'],
];

/** Fields of each route body to break, each with the hostile values that are valid there (skipped: they are not hostile). */
const FIELDS: [string, [string, string[]][]][] = [
	['submit_activation', [['direction', []], ['activation_id', []], ['activation_path', ['null']], ['output_activation_hash', ['null', 'a string']], ['activation_stats', ['null', 'an object']]]],
	['report_loss', [['activation_id', []], ['loss', []], ['layer_idx', ['null']]]],
	['get_activations', [['n_fwd_activations', []]]],
	['initiate_file_upload', [['num_parts', []], ['file_type', []], ['multipart', ['null', 'true']]]],
	['complete_multipart_upload', [['object_name', []], ['upload_id', []], ['parts', []]]],
	['submit_weights', [['weights_path', []]]],
	['payout_coldkey', [['payout_coldkey', []]]],
	['register', [['p2p_node_id', ['a string']], ['location', ['null']], ['system_data', ['null', 'a string', 'a 5000-character string']]]],
	['attestation_challenge', [['action', []], ['run_id', ['null', 'a string']]]],
];

export function schemaCases(): CurrentCase[] {
	const cases: CurrentCase[] = [];
	for (const [name, fields] of FIELDS) {
		for (const [field, valid] of fields) {
			for (const [what, text] of HOSTILE_VALUES) {
				if (valid.includes(what)) continue;
				cases.push({name: `${name}: ${field} ${what}`, build: fx => signedReq(fx, route(name), {body: withField(route(name).body!(fx), field, text)})});
			}
		}
	}
	for (const name of ['submit_activation', 'report_loss', 'submit_merged_partitions', 'get_previous_partitions', 'heartbeat', 'layer_state']) {
		for (const [what, text] of HOSTILE_BODIES) cases.push(send(`body ${what}`, name, {text}));
	}
	for (const [what, text] of HOSTILE_VALUES) {
		cases.push({name: `submit_merged_partitions: chunk_number ${what}`, build: fx => signedReq(fx, route('submit_merged_partitions'), {body: `{"attestation": null, "partitions": [${withField(partitionOf(fx), 'chunk_number', text)}]}`})});
		if (what !== 'null') cases.push({name: `bridge/set: current_version ${what}`, build: () => ({method: 'POST', path: '/bridge/set', body: `{"updates": [{"var_id": "fuzz", "value": 1, "current_version": ${text}}]}`})});
	}
	return cases;
}

/** The JSON text of `body` with `field` replaced by the raw JSON `text` (which JSON.stringify cannot write: NaN, 1e309). */
function withField(body: unknown, field: string, text: string): string {
	const marker = `__fuzz_${randomUUID()}__`;
	return JSON.stringify({...(body as object), [field]: marker}).replace(JSON.stringify(marker), text);
}
