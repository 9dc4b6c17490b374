// Every route of the devnet orchestrator as a well-formed request of the right miner: the base
// each hostile case breaks in one way. A case is requests sent in order; only the last one is
// the hostile one that is counted (earlier ones set it up, e.g. the original of a replay).
import {randomUUID} from 'node:crypto';
import type {KeyringPair} from '@polkadot/keyring/types';
import type {RawRequest} from './http.js';
import {signedHeaders, type Fixture} from './orchestrator-fixture.js';

export interface Case {
	name: string;
	build(fx: Fixture): RawRequest[] | RawRequest;
}

export interface Route {
	name: string;
	method: 'GET' | 'POST';
	/** Path with query string. */
	path(fx: Fixture): string;
	/** JSON body object; undefined for none. */
	body?(fx: Fixture): unknown;
	/** Index into fx.miners of the signer. */
	signer: number;
	register?: boolean;
}

const act = (uid: string, layer: number, dir: string) => `activations/${uid}/${layer}/${dir}/${randomUUID()}.bin`;
export const weightKey = (fx: Fixture, kind: string, i = 0) => `${kind}/${fx.miners[i]!.address}/1/0/${randomUUID()}.${kind.startsWith('metadata') ? 'json' : 'bin'}`;
const chunk = {chunk_start_idx: 0, chunk_end_idx: 64, chunk_start_byte: 0, chunk_end_byte: 128, chunk_dtype: 'bfloat16', chunk_length: 64};
export const partition = (fx: Fixture) => ({
	layer: 0,
	chunk_number: 0,
	miner_hotkey: fx.miners[0]!.address,
	weight_path: weightKey(fx, 'weights'),
	weight_metadata_path: weightKey(fx, 'metadata/weights'),
	optimizer_state_path: weightKey(fx, 'optimizer_state'),
	optimizer_state_metadata_path: weightKey(fx, 'metadata/optimizer_state'),
	weight_data: chunk,
	optimizer_state_data: chunk,
});
export const weightsQuery = (fx: Fixture) =>
	new URLSearchParams({
		weights_path: weightKey(fx, 'weights'),
		metadata_path: weightKey(fx, 'metadata/weights'),
		optimizer_state_path: weightKey(fx, 'optimizer_state'),
		optimizer_state_metadata_path: weightKey(fx, 'metadata/optimizer_state'),
	}).toString();

export const SIGNED: Route[] = [
	{name: 'register_miner', method: 'POST', path: () => '/orchestrator/register_miner', body: () => ({}), signer: 0, register: true},
	{name: 'is_registered', method: 'GET', path: () => '/orchestrator/is_registered', signer: 0},
	{name: 'activations/random', method: 'POST', path: () => '/storage/activations/random', body: () => ({}), signer: 1},
	{name: 'miners/status', method: 'POST', path: () => '/orchestrator/miners/status', body: () => ({status: 'idle', activation_uid: null, activation_path: null}), signer: 0},
	{name: 'report_loss', method: 'POST', path: () => '/orchestrator/miners/report_loss', body: fx => ({activation_uid: fx.samples.s3, loss_value: 2.5}), signer: 2},
	{name: 'is_active', method: 'GET', path: fx => `/storage/activations/is_active?layer=1&activation_uid=${fx.samples.s1}`, signer: 1},
	{name: 'request_learning_rate', method: 'GET', path: () => '/orchestrator/request_learning_rate', signer: 0},
	{name: 'multipart/initiate', method: 'POST', path: () => '/storage/multipart_upload/initiate', body: () => ({path: act(randomUUID(), 0, 'forward'), file_size: 1000, part_size: 1 << 20, expires_in: 3600}), signer: 0},
	{name: 'multipart/complete', method: 'POST', path: () => '/storage/multipart_upload/complete', body: () => ({path: act(randomUUID(), 0, 'forward'), upload_id: 'no-such-upload', parts: [{PartNumber: 1, ETag: '"0123"'}]}), signer: 0},
	{name: 'presigned_url', method: 'GET', path: () => '/storage/presigned_url', body: fx => ({path: weightKey(fx, 'metadata/weights'), expires_in: 3600}), signer: 0},
	{name: 'weights/layer', method: 'GET', path: () => '/storage/weights/layer/0', signer: 0},
	{name: 'notify_weights_uploaded', method: 'POST', path: fx => `/orchestrator/miners/notify_weights_uploaded?${weightsQuery(fx)}`, body: () => ({}), signer: 0},
	{name: 'get_chunks_for_miner', method: 'GET', path: () => '/orchestrator/get_chunks_for_miner', signer: 0},
	{name: 'notify_merged_partitions', method: 'POST', path: () => '/orchestrator/miners/notify_merged_partitions_uploaded', body: fx => [partition(fx)], signer: 0},
];

export const PUBLIC: {name: string; path: (fx: Fixture) => string}[] = [
	{name: 'healthcheck', path: () => '/orchestrator/healthcheck'},
	{name: 'is_merging', path: () => '/orchestrator/is_merging?layer=0'},
	{name: 'miner_detail', path: fx => `/orchestrator/metrics/miner_detail/${fx.miners[0]!.address}`},
	{name: 'global_miner_weights', path: () => '/orchestrator/global_miner_weights'},
	{name: 'settings', path: () => '/orchestrator/settings'},
];

export const bodyText = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value));

/** The route's request signed by its miner (or `pair`), with the body text given or its own. */
export function signed(fx: Fixture, r: Route, o: {body?: string; path?: string; pair?: KeyringPair} = {}): RawRequest {
	const body = 'body' in o ? o.body : bodyText(r.body?.(fx));
	return {method: r.method, path: o.path ?? r.path(fx), body, headers: signedHeaders(fx, o.pair ?? fx.miners[r.signer]!, body)};
}
