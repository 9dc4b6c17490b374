// Request bodies as pydantic's model_dump() writes them (every field, nulls and defaults included), checked before sending.
import type {z} from 'zod';
import {pyFloat, toPlain, type PyJson} from '../canonical-json.js';
import * as S from './schemas.js';

export class RequestBodyError extends Error {
	override name = 'RequestBodyError';
}

/** Validates the plain form of `body` against the request schema; returns `body` (floats kept as PyFloat). */
function checked<T extends PyJson>(what: string, schema: z.ZodType, body: T): T {
	const r = schema.safeParse(toPlain(body));
	if (!r.success) {
		const issue = r.error.issues[0];
		throw new RequestBodyError(`${what}: bad request body: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
	}
	return body;
}

const orNull = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);
const floatOrNull = (v: number | null | undefined): PyJson => (v === undefined || v === null ? null : pyFloat(v));

/** An attestation as its own model dumps it (runtime and public_key_base64 are excluded there). */
export function attestationBody(a: S.Attestation | null | undefined): PyJson {
	if (!a) return null;
	if ('payload_blob' in a) return {payload_blob: a.payload_blob, encrypted_attestation: orNull(a.encrypted_attestation)};
	if ('schema_version' in a)
		return {
			schema_version: a.schema_version,
			key_id: a.key_id,
			public_key_base64: a.public_key_base64,
			payload_base64: a.payload_base64,
			signature_der_base64: a.signature_der_base64,
			payload_sha256_base64: a.payload_sha256_base64,
			alg: a.alg,
			challenge_id: orNull(a.challenge_id),
		};
	return {key_id: a.key_id, signature_der_base64: a.signature_der_base64, alg: a.alg, challenge_id: orNull(a.challenge_id)};
}

const enclaveBody = (e: S.EnclavePayload | null | undefined): PyJson => (e ? {key_id: e.key_id, public_key_base64: e.public_key_base64, alg: e.alg} : null);

function locationBody(l: S.NodeLocation | null | undefined): PyJson {
	if (!l) return null;
	return {
		ip: orNull(l.ip),
		country: orNull(l.country),
		country_code: orNull(l.country_code),
		region: orNull(l.region),
		city: orNull(l.city),
		latitude: floatOrNull(l.latitude),
		longitude: floatOrNull(l.longitude),
		timezone: orNull(l.timezone),
		isp: orNull(l.isp),
		org: orNull(l.org),
	};
}

export const attestationChallengeBody = (action: S.AttestationAction, runId?: string | null): PyJson =>
	checked('attestation challenge', S.AttestationChallengeRequest, {action, run_id: orNull(runId)});

export const registerBody = (r: S.RegisterMinerRequest): PyJson =>
	checked('register', S.RegisterMinerRequest, {
		attestation: attestationBody(r.attestation),
		coldkey: orNull(r.coldkey),
		register_as_metagraph_miner: r.register_as_metagraph_miner ?? true,
		enclave_payload: enclaveBody(r.enclave_payload),
		p2p_node_id: r.p2p_node_id,
		system_data: orNull(r.system_data),
		location: locationBody(r.location),
	});

export const registerConfirmBody = (c: {attestation?: S.Attestation | null; enclave_payload?: S.EnclavePayload | null} = {}): PyJson =>
	checked('register confirm', S.RegisterConfirmRequest, {attestation: attestationBody(c.attestation), enclave_payload: enclaveBody(c.enclave_payload)});

export const payoutColdkeyBody = (coldkey: string): PyJson => checked('payout coldkey', S.PayoutColdkeyRequest, {payout_coldkey: coldkey});

export const getActivationsBody = (n = 1): PyJson => checked('get activations', S.GetActivationRequest, {n_fwd_activations: n});

export type ActivationStats = {[key: string]: PyJson};
export const submitActivationBody = (r: Omit<S.SubmitActivationRequest, 'activation_stats'> & {activation_stats?: ActivationStats | null}): PyJson =>
	checked('submit activation', S.SubmitActivationRequest, {
		direction: r.direction,
		activation_id: orNull(r.activation_id),
		activation_path: orNull(r.activation_path),
		activation_stats: orNull(r.activation_stats),
		attestation: attestationBody(r.attestation),
		input_activation_hash: orNull(r.input_activation_hash),
		output_activation_hash: orNull(r.output_activation_hash),
	});

/** `loss` is a Python float: 3 goes out as 3.0. */
export const reportLossBody = (r: S.LossReportRequest): PyJson =>
	checked('report loss', S.LossReportRequest, {activation_id: r.activation_id, loss: pyFloat(r.loss), layer_idx: orNull(r.layer_idx)});

export const fileUploadBody = (r: S.FileUploadRequest): PyJson =>
	checked('initiate file upload', S.FileUploadRequest, {num_parts: r.num_parts, file_type: r.file_type, multipart: r.multipart ?? true});

export const completeUploadBody = (r: S.FileUploadCompletionRequest): PyJson =>
	checked('complete multipart upload', S.FileUploadCompletionRequest, {
		object_name: r.object_name,
		upload_id: orNull(r.upload_id),
		parts: r.parts ? r.parts.map(p => ({PartNumber: p.PartNumber, ETag: p.ETag})) : null,
	});

export const submitWeightsBody = (weightsPath: string, attestation?: S.Attestation | null): PyJson =>
	checked('submit weights', S.WeightUpdate, {weights_path: weightsPath, attestation: attestationBody(attestation)});

export const optimizerStateBody = (path: string): PyJson => checked('submit optimizer state', S.OptimizerStateUpdate, {optimizer_state_path: path});

export const previousPartitionsBody = (chunks: number[]): PyJson => checked('get previous partitions', S.PreviousPartitionsRequest, [...chunks]);

const partitionBody = (p: S.MinerPartitionInput): PyJson => ({
	layer: orNull(p.layer),
	chunk_number: orNull(p.chunk_number),
	miner_hotkey: orNull(p.miner_hotkey),
	blob_path: orNull(p.blob_path),
	other_miner_hotkey: orNull(p.other_miner_hotkey),
});

export const mergedPartitionsBody = (partitions: S.MinerPartitionInput[], attestation?: S.Attestation | null): PyJson =>
	checked('submit merged partitions', S.SubmitMergedPartitionsRequest, {partitions: partitions.map(partitionBody), attestation: attestationBody(attestation)});
