// Contract of the spec-30017 client: every body it sends, field by field, against the note's field
// lists; every reply schema against the documented shape, wrong types and over-large values.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import type {z} from 'zod';
import {PyFloat, type PyJson} from '../../../source/orchestrator/canonical-json.js';
import {CurrentClient} from '../../../source/orchestrator/current/client.js';
import * as S from '../../../source/orchestrator/current/schemas.js';
import {HOTKEY_A, HOTKEY_B, REPLIES, RUN_INFO, REGISTRATION, QUEUED, ACTIVATION, CHALLENGE, PARTITION, newPair, startServer} from './fixtures.js';

type Kind = 'str' | 'int' | 'float' | 'bool' | 'null' | 'object' | 'array';
type Field = [name: string, kinds: Kind[], required: boolean];

const kindOf = (v: PyJson | undefined): Kind => {
	if (v === null) return 'null';
	if (v instanceof PyFloat) return 'float';
	if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
	if (typeof v === 'string') return 'str';
	if (typeof v === 'boolean') return 'bool';
	if (Array.isArray(v)) return 'array';
	return 'object';
};

const ATT = {payload_blob: 'blob'};
// Each request: how the client is called, the route, and the fields the note lists (exactly these
// keys are sent, as model_dump() does; `required` as the note's optional marks and defaults say).
const REQUESTS: {what: string; call: (c: CurrentClient) => Promise<unknown>; method: 'GET' | 'POST'; path: string; schema?: z.ZodType; fields: Field[] | 'none' | 'empty' | 'array'; query?: Record<string, string>}[] = [
	{what: 'healthcheck', call: c => c.healthcheck(), method: 'GET', path: '/healthcheck', fields: 'none'},
	{what: 'get_run_info', call: c => c.getRunInfo(), method: 'GET', path: '/common/get_run_info', fields: 'none'},
	{what: 'get_run_epoch', call: c => c.getRunEpoch('run-1'), method: 'GET', path: '/common/get_run_epoch', fields: 'none', query: {run_id: 'run-1'}},
	{what: 'get_merged_partitions', call: c => c.getMergedPartitions(), method: 'GET', path: '/common/get_merged_partitions', fields: 'none'},
	{
		what: 'request_attestation_challenge',
		call: c => c.requestAttestationChallenge('weights', 'run-1'),
		method: 'POST',
		path: '/miner/request_attestation_challenge',
		schema: S.AttestationChallengeRequest,
		fields: [['action', ['str'], true], ['run_id', ['str', 'null'], false]],
	},
	{
		what: 'register',
		call: c => c.register({p2p_node_id: 'node-1', coldkey: HOTKEY_B, system_data: '{"gpus": []}', location: {city: 'Zürich', latitude: 47, longitude: 8.5}, attestation: ATT}),
		method: 'POST',
		path: '/miner/register',
		schema: S.RegisterMinerRequest,
		fields: [
			['attestation', ['object', 'null'], false],
			['coldkey', ['str', 'null'], false],
			['register_as_metagraph_miner', ['bool'], false],
			['enclave_payload', ['object', 'null'], false],
			['p2p_node_id', ['str'], true],
			['system_data', ['str', 'null'], false],
			['location', ['object', 'null'], false],
		],
	},
	{what: 'register status', call: c => c.registerStatus('q-1'), method: 'GET', path: '/miner/register/status/q-1', fields: 'empty'},
	{
		what: 'register confirm',
		call: c => c.registerConfirm('q-1', {attestation: null}),
		method: 'POST',
		path: '/miner/register/confirm/q-1',
		schema: S.RegisterConfirmRequest,
		fields: [['attestation', ['object', 'null'], false], ['enclave_payload', ['object', 'null'], false]],
	},
	{what: 'payout_coldkey', call: c => c.payoutColdkey(HOTKEY_B), method: 'POST', path: '/miner/payout_coldkey', schema: S.PayoutColdkeyRequest, fields: [['payout_coldkey', ['str'], true]]},
	{what: 'heartbeat', call: c => c.heartbeat(), method: 'GET', path: '/miner/heartbeat', fields: 'empty'},
	{what: 'heartbeat(training)', call: c => c.heartbeat('training'), method: 'GET', path: '/miner/heartbeat', fields: 'empty', query: {expected_phase: 'training'}},
	{what: 'layer_state', call: c => c.layerState(), method: 'GET', path: '/miner/layer_state', fields: 'none'},
	{what: 'all_layers_training', call: c => c.allLayersTraining(), method: 'GET', path: '/miner/all_layers_training', fields: 'none'},
	{what: 'get_run_config', call: c => c.getRunConfig(), method: 'GET', path: '/miner/get_run_config', fields: 'empty'},
	{what: 'get_activations', call: c => c.getActivations(2), method: 'GET', path: '/miner/get_activations', schema: S.GetActivationRequest, fields: [['n_fwd_activations', ['int'], false]]},
	{
		what: 'submit_activation',
		call: c => c.submitActivation({direction: 'forward', activation_id: 'a-1', activation_path: 'activations/a-1', activation_stats: {mean: 0.5}, input_activation_hash: 'ab', output_activation_hash: 'cd'}),
		method: 'POST',
		path: '/miner/submit_activation',
		schema: S.SubmitActivationRequest,
		fields: [
			['direction', ['str'], true],
			['activation_id', ['str', 'null'], false],
			['activation_path', ['str', 'null'], false],
			['activation_stats', ['object', 'null'], false],
			['attestation', ['object', 'null'], false],
			['input_activation_hash', ['str', 'null'], false],
			['output_activation_hash', ['str', 'null'], false],
		],
	},
	{
		what: 'report_loss',
		call: c => c.reportLoss({activation_id: 'a-1', loss: 3, layer_idx: 2}),
		method: 'POST',
		path: '/miner/report_loss',
		schema: S.LossReportRequest,
		fields: [['activation_id', ['str'], true], ['loss', ['float'], true], ['layer_idx', ['int', 'null'], false]],
	},
	{
		what: 'initiate_file_upload',
		call: c => c.initiateFileUpload({num_parts: 2, file_type: 'weights'}),
		method: 'POST',
		path: '/miner/initiate_file_upload',
		schema: S.FileUploadRequest,
		fields: [['num_parts', ['int'], true], ['file_type', ['str'], true], ['multipart', ['bool'], false]],
	},
	{
		what: 'complete_multipart_upload',
		call: c => c.completeMultipartUpload({object_name: 'weights/x', upload_id: 'u-1', parts: [{PartNumber: 1, ETag: 'e1'}]}),
		method: 'POST',
		path: '/miner/complete_multipart_upload',
		schema: S.FileUploadCompletionRequest,
		// The note lists upload_id and parts without marks; api_models.py makes both optional.
		fields: [['object_name', ['str'], true], ['upload_id', ['str', 'null'], false], ['parts', ['array', 'null'], false]],
	},
	{what: 'notify_orchestrator_of_state_call', call: c => c.notifyStateCall(), method: 'GET', path: '/miner/notify_orchestrator_of_state_call', fields: 'none'},
	{
		what: 'submit_weights',
		call: c => c.submitWeights('weights/x'),
		method: 'POST',
		path: '/miner/submit_weights',
		schema: S.WeightUpdate,
		fields: [['weights_path', ['str'], true], ['attestation', ['object', 'null'], false]],
	},
	{what: 'submit_optimizer_state', call: c => c.submitOptimizerState('opt/x'), method: 'POST', path: '/miner/submit_optimizer_state', schema: S.OptimizerStateUpdate, fields: [['optimizer_state_path', ['str'], true]]},
	{what: 'get_layer_optimizer_state', call: c => c.getLayerOptimizerState(), method: 'GET', path: '/miner/get_layer_optimizer_state', fields: 'none'},
	{what: 'get_weight_path_per_layer', call: c => c.getWeightPathPerLayer(), method: 'GET', path: '/miner/get_weight_path_per_layer', fields: 'none'},
	{what: 'get_partitions', call: c => c.getPartitions(), method: 'GET', path: '/miner/get_partitions', fields: 'none'},
	{what: 'get_previous_partitions', call: c => c.getPreviousPartitions([3, 5]), method: 'GET', path: '/miner/get_previous_partitions', schema: S.PreviousPartitionsRequest, fields: 'array'},
	{
		what: 'submit_merged_partitions',
		call: c => c.submitMergedPartitions([{layer: 1, chunk_number: 3, miner_hotkey: HOTKEY_A, blob_path: 'partitions/p3'}]),
		method: 'POST',
		path: '/miner/submit_merged_partitions',
		schema: S.SubmitMergedPartitionsRequest,
		fields: [['partitions', ['array'], true], ['attestation', ['object', 'null'], false]],
	},
];

let server: Awaited<ReturnType<typeof startServer>>;
let client: CurrentClient;
before(async () => {
	server = await startServer();
	client = new CurrentClient({baseUrl: server.url, signer: await newPair()});
});
after(() => server.close());

test('every miner route of the note has a client method and a documented reply', () => {
	const paths = new Set(REQUESTS.map(r => r.path));
	for (const p of Object.keys(REPLIES)) assert.ok(paths.has(p), `no request for ${p}`);
	assert.equal(REQUESTS.length, 27);
});

for (const r of REQUESTS) {
	test(`request body: ${r.what}`, async () => {
		server.seen.length = 0;
		await r.call(client);
		assert.equal(server.seen.length, 1);
		const seen = server.seen[0]!;
		assert.equal(seen.method, r.method);
		assert.equal(seen.path, r.path);
		assert.deepEqual(Object.fromEntries(seen.query), r.query ?? {});
		assert.equal(seen.headers['x-spec-version'], '30017');
		assert.equal(seen.headers['x-is-mounted'], 'false');
		if (r.fields === 'none') return assert.equal(seen.text, '', 'no body sent (Python passes none)');
		assert.equal(seen.headers['content-type'], 'application/json');
		if (r.fields === 'empty') return assert.equal(seen.text, '{}');
		if (r.fields === 'array') {
			assert.equal(seen.text, '[3, 5]');
			assert.equal(r.schema!.safeParse([1.5]).success, false);
			return;
		}
		const body = seen.body as Record<string, PyJson>;
		assert.deepEqual(Object.keys(body).sort(), r.fields.map(f => f[0]).sort(), 'exactly the model_dump() keys');
		for (const [name, kinds, required] of r.fields) {
			assert.ok(kinds.includes(kindOf(body[name])), `${name}: ${kindOf(body[name])} is not ${kinds.join('|')}`);
			const plain = JSON.parse(seen.text) as Record<string, unknown>;
			const without = {...plain};
			delete without[name];
			assert.equal(r.schema!.safeParse(without).success, !required, `${name} is ${required ? 'required' : 'optional'}`);
			if (kinds.includes('null')) assert.equal(r.schema!.safeParse({...plain, [name]: null}).success, true, `${name} may be null`);
			const wrong = kinds.includes('str') ? 12345 : 'not-that-type';
			assert.equal(r.schema!.safeParse({...plain, [name]: wrong}).success, false, `${name} refuses a wrong type`);
			assert.equal(r.schema!.safeParse({...plain, extra_field: 1}).success, false, 'requests are strict');
		}
	});
}

test('request bodies: defaults, Python floats, nested shapes', async () => {
	server.seen.length = 0;
	await client.register({p2p_node_id: 'node-1'});
	await client.reportLoss({activation_id: 'a-1', loss: 3});
	await client.initiateFileUpload({num_parts: 1, file_type: 'partition'});
	await client.getActivations();
	await client.register({p2p_node_id: 'n', location: {city: 'Zürich', latitude: 47}, attestation: {key_id: 'k', signature_der_base64: 's', alg: 'ES256'}});
	await client.submitMergedPartitions([{chunk_number: 'all'}]);
	const [reg, loss, upload, acts, reg2, merged] = server.seen;
	assert.equal(reg!.text, '{"attestation": null, "coldkey": null, "enclave_payload": null, "location": null, "p2p_node_id": "node-1", "register_as_metagraph_miner": true, "system_data": null}');
	assert.equal(loss!.text, '{"activation_id": "a-1", "layer_idx": null, "loss": 3.0}');
	assert.equal(upload!.text, '{"file_type": "partition", "multipart": true, "num_parts": 1}');
	assert.equal(acts!.text, '{"n_fwd_activations": 1}');
	const loc = (reg2!.body as {location: Record<string, PyJson>}).location;
	assert.deepEqual(Object.keys(loc).sort(), ['city', 'country', 'country_code', 'ip', 'isp', 'latitude', 'longitude', 'org', 'region', 'timezone']);
	assert.ok(loc.latitude instanceof PyFloat && loc.longitude === null);
	assert.match(reg2!.text, /"city": "Z\\u00fcrich"/);
	assert.match(reg2!.text, /"attestation": \{"alg": "ES256", "challenge_id": null, "key_id": "k", "signature_der_base64": "s"\}/);
	assert.equal(merged!.text, '{"attestation": null, "partitions": [{"blob_path": null, "chunk_number": "all", "layer": null, "miner_hotkey": null, "other_miner_hotkey": null}]}');
});

test('bad request bodies are refused before anything is sent', async () => {
	server.seen.length = 0;
	await assert.rejects(client.reportLoss({activation_id: 'a', loss: NaN}), /report loss: bad request body: loss/);
	await assert.rejects(client.initiateFileUpload({num_parts: 10_001, file_type: 'weights'}), /num_parts/);
	await assert.rejects(client.payoutColdkey('not-a-key'), /payout_coldkey/);
	await assert.rejects(client.getActivations(0), /n_fwd_activations/);
	assert.equal(server.seen.length, 0);
});

// ---- replies
const huge = 'x'.repeat(10_000);
const REPLY_CASES: {what: string; schema: z.ZodType; ok: unknown; bad: unknown[]}[] = [
	{what: 'RunInfo[]', schema: S.RunInfos, ok: [RUN_INFO], bad: [[{...RUN_INFO, num_miners: '10'}], [{...RUN_INFO, tier: 4}], [{...RUN_INFO, run_id: huge}], Array(1001).fill(RUN_INFO)]},
	{what: 'RunEpoch', schema: S.RunEpoch, ok: {run_id: 'r', epoch: 0}, bad: [{run_id: 'r', epoch: 1.5}, {run_id: 'r', epoch: 2 ** 60}, {run_id: 'r'}]},
	{what: 'MinerPartition[]', schema: S.MinerPartitions, ok: [PARTITION, {chunk_number: 'all'}, {}], bad: [[{chunk_number: 'some'}], [{layer: '1'}], [{blob_path: 'x'.repeat(9000)}]]},
	{what: 'AttestationChallenge', schema: S.AttestationChallenge, ok: CHALLENGE, bad: [{...CHALLENGE, action: 'other'}, {...CHALLENGE, self_checks: 'x'}, {...CHALLENGE, expires_at: null}]},
	{what: 'MinerRegistrationResponse', schema: S.MinerRegistrationResponse, ok: REGISTRATION, bad: [{...REGISTRATION, run_flags: undefined}, {...REGISTRATION, num_partitions: 10 ** 9}, {...REGISTRATION, layer: -1}, {...REGISTRATION, model_cfg: {vocab_size: 'big'}}]},
	{what: 'RegistrationQueueStatus', schema: S.RegistrationQueueStatus, ok: QUEUED, bad: [{...QUEUED, status: 'waiting'}, {...QUEUED, poll_after_seconds: 1e9}, {...QUEUED, queue_id: ''}, {...QUEUED, detail: huge}]},
	{what: 'Heartbeat', schema: S.Heartbeat, ok: REPLIES['/miner/heartbeat'], bad: [{run_id: 'r', layer: 1, epoch: 1}, {run_id: 'r', layer: 1, epoch: 1, phase: 7}]},
	{what: 'LayerPhase', schema: S.LayerPhase, ok: 'merging_partitions', bad: ['is_training', 1]},
	{what: 'all_layers_training', schema: S.AllLayersTraining, ok: false, bad: ['true', 1]},
	{what: 'RunConfig', schema: S.RunConfig, ok: REPLIES['/miner/get_run_config'], bad: [{run_id: 'r'}, {run_id: 'r', run_flags: {attest: {enabled: 'yes'}}}]},
	{what: 'ActivationResponse[]', schema: S.ActivationResponses, ok: [ACTIVATION, {}], bad: [[{direction: 'sideways'}], [{presigned_upload_url: 'x'}], Array(65).fill({})]},
	{what: 'FileUploadResponse', schema: S.FileUploadResponse, ok: REPLIES['/miner/initiate_file_upload'], bad: [{object_name: 'x'}, {object_name: 'x', urls: Array(10_001).fill('u')}]},
	{what: 'CompleteFileUploadResponse', schema: S.CompleteFileUploadResponse, ok: {object_path: 'p'}, bad: [{}, {object_path: 3}]},
	{what: 'notify state call', schema: S.StateCallReply, ok: 3, bad: ['3', 3.5]},
	{what: 'WeightSubmitResponse', schema: S.WeightSubmitResponse, ok: {message: 'ok'}, bad: [{message: 'ok', should_upload_optimizer_state: 'yes'}, {}]},
	{what: 'LayerOptimizerState', schema: S.LayerOptimizerState, ok: {}, bad: [{available: 'no'}, {optimizer_state_url: 5}]},
	{what: 'WeightPath[]', schema: S.WeightPaths, ok: REPLIES['/miner/get_weight_path_per_layer'], bad: [[{layer: 1}], [{layer: 1, weights_path_presigned: 'w', weighting_factor: 0.5}]]},
];

for (const c of REPLY_CASES) {
	test(`reply schema: ${c.what}`, () => {
		const r = c.schema.safeParse(c.ok);
		assert.ok(r.success, r.success ? '' : JSON.stringify(r.error.issues[0]));
		c.bad.forEach((b, i) => assert.equal(c.schema.safeParse(b).success, false, `bad case ${i} accepted`));
	});
}

test('reply defaults and leniency follow pydantic: absent flags get defaults, unknown keys are dropped', () => {
	const info = S.RunInfo.parse({...RUN_INFO, run_flags: {}, whitelist_force_allow: undefined, tier: undefined, future_field: 1});
	assert.equal(info.run_flags.sync_patches.enabled, true);
	assert.equal(info.run_flags.attest.enabled, false);
	assert.equal(info.tier, 0);
	assert.ok(!('future_field' in info));
	const q = S.RegistrationQueueStatus.parse({queue_id: 'q', status: 'queued'});
	assert.equal(q.poll_after_seconds, 5);
	assert.equal(q.confirmation_required, false);
	assert.ok(S.isQueueStatus(S.RegistrationReply.parse(QUEUED)));
	assert.ok(!S.isQueueStatus(S.RegistrationReply.parse(REGISTRATION)));
	const min = S.MinerRegistrationResponse.parse({run_id: 'r', run_flags: {}, num_partitions: 2});
	assert.equal(min.layer, undefined, 'layer, epoch, cfg and metadata may be absent');
});
