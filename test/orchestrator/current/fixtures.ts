// Documented spec-30017 reply shapes (api_models.py@61c0ed1e and friends) and a signing test server.
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {Keyring} from '@polkadot/keyring';
import type {KeyringPair} from '@polkadot/keyring/types';
import {cryptoWaitReady, mnemonicGenerate} from '@polkadot/util-crypto';
import type {PyJson} from '../../../source/orchestrator/canonical-json.js';
import {parsePyJson} from '../../../source/orchestrator/py-json-parse.js';
import {epistulaErrorBody, RequestIdGuard, signedBodyText, verifyCurrent} from '../../../source/orchestrator/current/signing.js';

export async function newPair(): Promise<KeyringPair> {
	await cryptoWaitReady();
	return new Keyring({type: 'sr25519', ss58Format: 42}).addFromMnemonic(mnemonicGenerate(12));
}

export const HOTKEY_A = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
export const HOTKEY_B = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

export const RUN_FLAGS = {attest: {enabled: false, version: 1.0}, weighted_partition_averaging: {enabled: true, version: 1.0}};
export const PARTITION = {layer: 1, chunk_number: 3, miner_hotkey: HOTKEY_A, blob_path: 'https://s3/blob', other_miner_hotkey: null};
export const MODEL_CFG = {model_name: 'llama3-100M', vocab_size: 128256, context_length: 8192, emb_dim: 512, bottleneck_dim: 128, n_heads: 32, n_layers: 6, hidden_dim: 512, n_kv_groups: 8, rope_base: 500000.0, dtype: 'bfloat16', rope_freq: {factor: 32.0, low_freq_factor: 1.0}};
export const MODEL_METADATA = {model_splits: [[-1, 3], [3, -1]], n_splits: 2, tokenizer_name: 'meta-llama/Llama-3.2-1B', mini_batch_accumulation_count: 4, grad_clip_norm: 1.0, opt: {learning_rate: 0.0002, betas: [0.9, 0.95]}, lr: {warmup_steps: 1}, dataset: {sequence_length: 800, mini_batch_size: 4}, miners_per_layer: [2, 2]};
export const REGISTRATION = {layer: 1, current_epoch: 7, model_cfg: MODEL_CFG, model_metadata: MODEL_METADATA, run_id: 'run-1', run_flags: RUN_FLAGS, num_partitions: 8, status: 'training'};
export const QUEUED = {queue_id: 'q-1', status: 'queued', position: 3, poll_after_seconds: 5.0, confirmation_required: false, selected_run_id: null, reserved_until: null, payload_mismatch: false, detail: null, response: null, error: null};
export const RUN_INFO = {run_id: 'run-1', is_default: true, num_miners: 10, whitelisted: false, is_miner_pool: false, burn_factor: 0.5, incentive_perc: 0.3, authorized: true, run_flags: RUN_FLAGS, max_miners: 256, whitelist_force_allow: false, tier: 2};
export const ACTIVATION = {activation_id: 'a-1', direction: 'forward', upload_id: null, presigned_download_url: 'https://s3/sample', reason: null, presigned_upload_url: ['https://s3/up'], activation_upload_path: 'activations/a-1', target_download_url: null, source_node_id: null, source_activation_id: null, expected_input_hash: null};
export const CHALLENGE = {action: 'registration', attestation_challenge_blob: '{"challenge_id": "c-1"}', self_checks: ['self'], crypto: 'x25519', expires_at: 1760000000.5};

/** A documented reply for every miner route, keyed by path without the query. */
export const REPLIES: Record<string, unknown> = {
	'/healthcheck': {status: 'ok'},
	'/common/get_run_info': [RUN_INFO],
	'/common/get_run_epoch': {run_id: 'run-1', epoch: 7},
	'/common/get_merged_partitions': [PARTITION],
	'/miner/request_attestation_challenge': CHALLENGE,
	'/miner/register': REGISTRATION,
	'/miner/register/status/q-1': REGISTRATION,
	'/miner/register/confirm/q-1': {...QUEUED, status: 'confirmed'},
	'/miner/payout_coldkey': {message: 'ok'},
	'/miner/heartbeat': {run_id: 'run-1', layer: 1, epoch: 7, phase: 'training', status: 'training'},
	'/miner/layer_state': 'training',
	'/miner/all_layers_training': true,
	'/miner/get_run_config': {run_id: 'run-1', run_flags: RUN_FLAGS, model_metadata: MODEL_METADATA},
	'/miner/get_activations': [ACTIVATION],
	'/miner/submit_activation': {message: 'ok'},
	'/miner/report_loss': {message: 'ok'},
	'/miner/initiate_file_upload': {object_name: 'weights/x', urls: ['https://s3/p1', 'https://s3/p2'], upload_id: 'u-1'},
	'/miner/complete_multipart_upload': {object_path: 'weights/x'},
	'/miner/notify_orchestrator_of_state_call': 3,
	'/miner/submit_weights': {message: 'ok', should_upload_optimizer_state: true},
	'/miner/submit_optimizer_state': {message: 'ok'},
	'/miner/get_layer_optimizer_state': {optimizer_state_url: 'https://s3/opt', available: true},
	'/miner/get_weight_path_per_layer': [{layer: 1, weights_path_presigned: 'https://s3/w', weighting_factor: 12}],
	'/miner/get_partitions': [PARTITION],
	'/miner/get_previous_partitions': [PARTITION],
	'/miner/submit_merged_partitions': {message: 'ok'},
};

export interface Seen {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: IncomingMessage['headers'];
	text: string;
	body: PyJson | undefined;
}

/** What the handler answers: a JSON value (status 200), or a raw status and text. */
export type Answer = {json: unknown} | {status: number; text: string};
export type Handler = (req: Seen, n: number) => Answer | undefined;

/**
 * An orchestrator stand-in on 127.0.0.1 that checks every request with the spec-30017 verifier
 * (400 EpistulaError on failure) and answers through `handler`, else from REPLIES.
 */
export async function startServer(): Promise<{url: string; seen: Seen[]; setHandler(h: Handler | undefined): void; guard: RequestIdGuard; close(): Promise<void>}> {
	const seen: Seen[] = [];
	const guard = new RequestIdGuard();
	let handler: Handler | undefined;
	const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const text = Buffer.concat(chunks).toString('utf8');
			const u = new URL(req.url ?? '/', 'http://x');
			const body = text ? parsePyJson(text) : undefined;
			const s: Seen = {method: req.method ?? '', path: u.pathname, query: u.searchParams, headers: req.headers, text, body};
			seen.push(s);
			const id = String(req.headers['x-request-id'] ?? '');
			// A retry reuses its id: release it unless the previous try was answered 200.
			const v = verifyCurrent(req.headers, signedBodyText(body), {guard});
			if (!v.ok) return res.writeHead(400, {'content-type': 'application/json'}).end(JSON.stringify(epistulaErrorBody(v.error)));
			const a = handler?.(s, seen.length) ?? {json: REPLIES[u.pathname] ?? null};
			if ('json' in a) return res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(a.json));
			guard.release(id);
			res.writeHead(a.status, {'content-type': 'application/json'}).end(a.text);
		});
	});
	await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		url,
		seen,
		guard,
		setHandler: h => (handler = h),
		close: () => new Promise<void>(r => server.close(() => r())),
	};
}
