// The miner-facing routes of the spec-30017 orchestrator, one method each (subnet/miner_api_client.py).
import * as B from './bodies.js';
import * as S from './schemas.js';
import {SignedTransport, type TransportOptions} from './transport.js';

export type CurrentClientOptions = TransportOptions;

/** Route methods are async: a bad request body rejects, it never throws synchronously. */
export class CurrentClient {
	readonly transport: SignedTransport;

	constructor(opts: CurrentClientOptions) {
		this.transport = new SignedTransport(opts);
	}

	get hotkey(): string {
		return this.transport.hotkey;
	}

	private get t() {
		return this.transport;
	}

	// ---- common
	/** Any truthy JSON means healthy (checked every training tick). */
	async healthcheck(): Promise<unknown> {
		return this.t.call('GET', '/healthcheck', S.HealthReply);
	}
	async getRunInfo(): Promise<S.RunInfo[]> {
		return this.t.call('GET', '/common/get_run_info', S.RunInfos);
	}
	async getRunEpoch(runId: string): Promise<S.RunEpoch> {
		return this.t.call('GET', '/common/get_run_epoch', S.RunEpoch, {query: {run_id: runId}});
	}
	async getMergedPartitions(): Promise<S.MinerPartition[]> {
		return this.t.call('GET', '/common/get_merged_partitions', S.MinerPartitions);
	}

	// ---- registration
	async requestAttestationChallenge(action: S.AttestationAction, runId?: string | null): Promise<S.AttestationChallenge> {
		return this.t.call('POST', '/miner/request_attestation_challenge', S.AttestationChallenge, {body: B.attestationChallengeBody(action, runId)});
	}
	/** One attempt only: an attestation in it is single-use. */
	async register(req: S.RegisterMinerRequest): Promise<S.RegistrationReply> {
		return this.t.call('POST', '/miner/register', S.RegistrationReply, {body: B.registerBody(req), attempts: 1});
	}
	async registerStatus(queueId: string): Promise<S.RegistrationReply> {
		return this.t.call('GET', `/miner/register/status/${encodeURIComponent(queueId)}`, S.RegistrationReply, {body: {}});
	}
	async registerConfirm(queueId: string, c: {attestation?: S.Attestation | null; enclave_payload?: S.EnclavePayload | null} = {}): Promise<S.RegistrationQueueStatus> {
		return this.t.call('POST', `/miner/register/confirm/${encodeURIComponent(queueId)}`, S.RegistrationQueueStatus, {body: B.registerConfirmBody(c)});
	}
	async payoutColdkey(coldkey: string): Promise<unknown> {
		return this.t.call('POST', '/miner/payout_coldkey', S.AnyReply, {body: B.payoutColdkeyBody(coldkey)});
	}

	// ---- phase and config
	async heartbeat(expectedPhase?: S.LayerPhase): Promise<S.Heartbeat> {
		const query = expectedPhase === undefined ? undefined : {expected_phase: S.LayerPhase.parse(expectedPhase)};
		return this.t.call('GET', '/miner/heartbeat', S.Heartbeat, {body: {}, query});
	}
	async layerState(): Promise<S.LayerPhase> {
		return this.t.call('GET', '/miner/layer_state', S.LayerPhase);
	}
	async allLayersTraining(): Promise<boolean> {
		return this.t.call('GET', '/miner/all_layers_training', S.AllLayersTraining);
	}
	async getRunConfig(): Promise<S.RunConfig> {
		return this.t.call('GET', '/miner/get_run_config', S.RunConfig, {body: {}});
	}

	// ---- training
	async getActivations(n = 1): Promise<S.ActivationResponse[]> {
		return this.t.call('GET', '/miner/get_activations', S.ActivationResponses, {body: B.getActivationsBody(n)});
	}
	async submitActivation(req: Parameters<typeof B.submitActivationBody>[0]): Promise<unknown> {
		return this.t.call('POST', '/miner/submit_activation', S.AnyReply, {body: B.submitActivationBody(req)});
	}
	async reportLoss(req: S.LossReportRequest): Promise<unknown> {
		return this.t.call('POST', '/miner/report_loss', S.AnyReply, {body: B.reportLossBody(req)});
	}

	// ---- uploads
	async initiateFileUpload(req: S.FileUploadRequest): Promise<S.FileUploadResponse> {
		return this.t.call('POST', '/miner/initiate_file_upload', S.FileUploadResponse, {body: B.fileUploadBody(req)});
	}
	async completeMultipartUpload(req: S.FileUploadCompletionRequest): Promise<S.CompleteFileUploadResponse> {
		return this.t.call('POST', '/miner/complete_multipart_upload', S.CompleteFileUploadResponse, {body: B.completeUploadBody(req)});
	}

	// ---- weights and merging
	async notifyStateCall(): Promise<number> {
		return this.t.call('GET', '/miner/notify_orchestrator_of_state_call', S.StateCallReply);
	}
	async submitWeights(weightsPath: string, attestation?: S.Attestation | null): Promise<S.WeightSubmitResponse> {
		return this.t.call('POST', '/miner/submit_weights', S.WeightSubmitResponse, {body: B.submitWeightsBody(weightsPath, attestation)});
	}
	async submitOptimizerState(optimizerStatePath: string): Promise<unknown> {
		return this.t.call('POST', '/miner/submit_optimizer_state', S.AnyReply, {body: B.optimizerStateBody(optimizerStatePath)});
	}
	async getLayerOptimizerState(): Promise<S.LayerOptimizerState> {
		return this.t.call('GET', '/miner/get_layer_optimizer_state', S.LayerOptimizerState);
	}
	async getWeightPathPerLayer(): Promise<S.WeightPath[]> {
		return this.t.call('GET', '/miner/get_weight_path_per_layer', S.WeightPaths);
	}
	/** The partitions this miner is assigned to merge (none: an empty list). */
	async getPartitions(): Promise<S.MinerPartition[]> {
		return (await this.t.call('GET', '/miner/get_partitions', S.MinerPartitions.nullable())) ?? [];
	}
	async getPreviousPartitions(chunks: number[]): Promise<S.MinerPartition[]> {
		return this.t.call('GET', '/miner/get_previous_partitions', S.MinerPartitions, {body: B.previousPartitionsBody(chunks)});
	}
	async submitMergedPartitions(partitions: S.MinerPartitionInput[], attestation?: S.Attestation | null): Promise<unknown> {
		return this.t.call('POST', '/miner/submit_merged_partitions', S.AnyReply, {body: B.mergedPartitionsBody(partitions, attestation)});
	}
}
