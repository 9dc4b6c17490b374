// Every signed route of the devnet's current-protocol orchestrator as a well-formed request of the
// right miner: the base each hostile case breaks in one way. A case is requests sent in order; only
// the last one is counted (earlier ones set it up, e.g. the original of a replay).
import type {KeyringPair} from '@polkadot/keyring/types';
import type {RawRequest} from './http.js';
import {currentHeaders, wire, type CurrentFixture} from './current-fixture.js';

export interface CurrentCase {
	name: string;
	build(fx: CurrentFixture): RawRequest[] | RawRequest;
}

export interface CurrentRoute {
	name: string;
	method: 'GET' | 'POST';
	/** Path with query string. */
	path(fx: CurrentFixture): string;
	/** JSON body; undefined for none. */
	body?(fx: CurrentFixture): unknown;
	/** The layer of the signing miner (fx.miners index). */
	signer: number;
	/** Needs registration with the orchestrator (not only the metagraph). */
	miner: boolean;
	/** The route's body limit in bytes (pipeline default 4096). */
	limit: number;
}

const KB = 1024;
const r = (name: string, method: 'GET' | 'POST', path: string | ((fx: CurrentFixture) => string), o: Partial<CurrentRoute> = {}): CurrentRoute => ({
	name,
	method,
	path: typeof path === 'string' ? () => path : path,
	signer: 0,
	miner: true,
	limit: 4 * KB,
	...o,
});

export const partitionOf = (fx: CurrentFixture) => ({layer: 1, chunk_number: 0, miner_hotkey: fx.miners[1]!.address, other_miner_hotkey: null, blob_path: fx.objects.partition1});

export const ROUTES: CurrentRoute[] = [
	r('get_run_info', 'GET', '/common/get_run_info', {miner: false}),
	r('get_run_epoch', 'GET', '/common/get_run_epoch?run_id=devnet-run', {miner: false}),
	r('get_merged_partitions', 'GET', '/common/get_merged_partitions'),
	r('attestation_challenge', 'POST', '/miner/request_attestation_challenge', {miner: false, body: () => ({action: 'registration', run_id: null})}),
	r('register', 'POST', '/miner/register', {miner: false, limit: 1_200_000, body: fx => ({p2p_node_id: `fuzz-${fx.miners[0]!.address.slice(0, 8)}`, register_as_metagraph_miner: true, coldkey: null, system_data: null, location: null, attestation: null, enclave_payload: null})}),
	r('register/status', 'GET', fx => `/miner/register/status/${fx.queueId1}`, {miner: false, signer: 1, body: () => ({})}),
	r('register/confirm', 'POST', fx => `/miner/register/confirm/${fx.queueId1}`, {miner: false, signer: 1, limit: 1_200_000, body: () => ({attestation: null, enclave_payload: null})}),
	r('payout_coldkey', 'POST', '/miner/payout_coldkey', {body: fx => ({payout_coldkey: fx.miners[0]!.address})}),
	r('heartbeat', 'GET', '/miner/heartbeat?expected_phase=training', {body: () => ({})}),
	r('layer_state', 'GET', '/miner/layer_state'),
	r('all_layers_training', 'GET', '/miner/all_layers_training'),
	r('get_run_config', 'GET', '/miner/get_run_config', {body: () => ({})}),
	r('get_activations', 'GET', '/miner/get_activations', {body: () => ({n_fwd_activations: 1})}),
	r('submit_activation', 'POST', '/miner/submit_activation', {limit: 64 * KB, body: fx => ({direction: 'forward', activation_id: fx.activations.open, activation_path: null, output_activation_hash: 'cd'.repeat(32)})}),
	r('report_loss', 'POST', '/miner/report_loss', {signer: 2, body: fx => ({activation_id: fx.activations.open, loss: 2.5, layer_idx: 2})}),
	r('initiate_file_upload', 'POST', '/miner/initiate_file_upload', {body: () => ({num_parts: 1, file_type: 'activation', multipart: true})}),
	r('complete_multipart_upload', 'POST', '/miner/complete_multipart_upload', {signer: 1, limit: 1 << 20, body: fx => ({...fx.openUpload, parts: [{PartNumber: 1, ETag: '0123456789abcdef'}]})}),
	r('notify_state_call', 'GET', '/miner/notify_orchestrator_of_state_call'),
	r('submit_weights', 'POST', '/miner/submit_weights', {signer: 1, limit: 1_200_000, body: fx => ({weights_path: fx.objects.weights1, attestation: null})}),
	r('submit_optimizer_state', 'POST', '/miner/submit_optimizer_state', {signer: 1, body: fx => ({optimizer_state_path: fx.objects.weights1})}),
	r('get_layer_optimizer_state', 'GET', '/miner/get_layer_optimizer_state'),
	r('get_weight_path_per_layer', 'GET', '/miner/get_weight_path_per_layer'),
	r('get_partitions', 'GET', '/miner/get_partitions'),
	r('get_previous_partitions', 'GET', '/miner/get_previous_partitions', {limit: 64 * KB, body: () => [0]}),
	r('submit_merged_partitions', 'POST', '/miner/submit_merged_partitions', {signer: 1, limit: 1_200_000, body: fx => ({partitions: [partitionOf(fx)], attestation: null})}),
	r('miner_score', 'GET', '/devnet/miner_score'),
];

/** The route's request signed by its miner (or `pair`), with the body text given or its own. */
export function signedReq(fx: CurrentFixture, route: CurrentRoute, o: {body?: string; path?: string; pair?: KeyringPair; timestampMs?: number; requestId?: string} = {}): RawRequest {
	const body = 'body' in o ? o.body : wire(route.body?.(fx));
	return {method: route.method, path: o.path ?? route.path(fx), body, headers: currentHeaders(o.pair ?? fx.miners[route.signer]!, body, o)};
}

export const withHeader = (req: RawRequest, name: string, value: string | undefined): RawRequest => {
	const headers = {...req.headers};
	if (value === undefined) delete headers[name];
	else headers[name] = value;
	return {...req, headers};
};
