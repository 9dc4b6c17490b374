// The miner's orchestrator client (IOTA v1 API): Epistula-signed requests with the canonical body,
// replies validated with zod, retries with exponential backoff on 5xx, 429 and connection errors,
// a timeout per attempt, and typed errors for 409 (wrong phase / version mismatch).
import {abortableSleep} from './sleep.js';
import {z} from 'zod';
import {canonicalJson, pyFloat, type PyJson} from './canonical-json.js';
import {EMPTY_BODY, signRequest, type Signer} from './epistula.js';
import {ClockSkew} from './clock-skew.js';
import {send, TransportError, type HttpResponse} from './http.js';
import * as S from './schemas.js';
import {OrchestratorSettings} from './settings.js';

export class OrchestratorError extends Error {
	constructor(
		readonly status: number,
		readonly detail: string,
		readonly endpoint: string,
	) {
		super(`orchestrator ${endpoint}: ${status ? `HTTP ${status} ` : ''}${detail}`);
		this.name = 'OrchestratorError';
	}
}
/** 409 whose detail is the phase the endpoint expected (v1 returns {"expected_state": detail}). */
export class WrongPhaseError extends OrchestratorError {
	get expectedState(): string {
		return this.detail;
	}
}
/** 409 "Spec version mismatch." / "Orchestrator version mismatch.": the miner must update. */
export class VersionMismatchError extends OrchestratorError {}

export interface ClientOptions {
	url: string;
	signer: Signer;
	/** Per attempt (v2 CLIENT_REQUEST_TIMEOUT is 40 s): the whole exchange, reply included. */
	timeoutMs?: number;
	/** Longest silence on the socket within an attempt. */
	idleTimeoutMs?: number;
	/** Largest JSON reply read (v1 replies are a few KB). */
	maxReplyBytes?: number;
	/** Aborts every request in flight and every backoff (the miner stopping). */
	signal?: AbortSignal;
	/** Attempts per request for retriable failures (v1: 3). */
	attempts?: number;
	/** First backoff; doubles each retry (v1 slept 3 s x attempt). */
	backoffMs?: number;
	maxBackoffMs?: number;
	specVersion?: number;
	/** Known X-Orchestrator-Version; register() sets it. */
	orchestratorVersion?: string;
	onRetry?: (info: {endpoint: string; attempt: number; reason: string; delayMs: number}) => void;
}

type Query = Record<string, string | number>;
const sleep = (ms: number, signal?: AbortSignal) => abortableSleep(ms, signal, () => new OrchestratorError(0, 'stopped', 'backoff'));

export class OrchestratorClient {
	readonly url: string;
	/** Our clock against the orchestrator's (Date headers). */
	readonly clock = new ClockSkew();
	orchestratorVersion: string | undefined;
	private readonly o: Required<Omit<ClientOptions, 'orchestratorVersion' | 'onRetry' | 'signal'>> & Pick<ClientOptions, 'onRetry' | 'signal'>;

	constructor(opts: ClientOptions) {
		this.url = opts.url.replace(/\/+$/, '');
		this.orchestratorVersion = opts.orchestratorVersion;
		this.o = {timeoutMs: 40_000, idleTimeoutMs: 15_000, maxReplyBytes: 1024 * 1024, attempts: 3, backoffMs: 1000, maxBackoffMs: 30_000, specVersion: S.SPEC_VERSION, ...opts};
	}

	get hotkey(): string {
		return this.o.signer.address;
	}

	/** Signs and sends one request, with retries; returns the parsed, validated reply. */
	async call<T extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: T, opts: {body?: PyJson; query?: Query; signed?: boolean} = {}): Promise<z.infer<T>> {
		const endpoint = `${method} ${path}`;
		const qs = opts.query ? `?${new URLSearchParams(Object.entries(opts.query).map(([k, v]) => [k, String(v)]))}` : '';
		const bodyText = opts.body === undefined ? undefined : canonicalJson(opts.body);
		let last: OrchestratorError | undefined;
		for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
			// A fresh uuid and timestamp every attempt: the server refuses replays.
			const headers: Record<string, string> = {'X-Spec-Version': String(this.o.specVersion)};
			if (opts.signed !== false) Object.assign(headers, signRequest(this.o.signer, bodyText ?? EMPTY_BODY));
			if (this.orchestratorVersion) headers['X-Orchestrator-Version'] = this.orchestratorVersion;
			if (bodyText !== undefined) headers['Content-Type'] = 'application/json';
			let res: HttpResponse;
			try {
				const idle = Math.min(this.o.idleTimeoutMs, this.o.timeoutMs);
				res = await send(`${this.url}${path}${qs}`, {method, headers, body: bodyText, timeoutMs: idle, deadlineMs: this.o.timeoutMs, maxBytes: this.o.maxReplyBytes, signal: this.o.signal});
				this.clock.note(res);
			} catch (error) {
				if (!(error instanceof TransportError)) throw error;
				if (!error.retriable) throw new OrchestratorError(0, error.message, endpoint);
				last = new OrchestratorError(0, `cannot reach ${this.url}: ${error.message}`, endpoint);
				await this.backoff(endpoint, attempt, last.detail);
				continue;
			}
			if (res.status >= 200 && res.status < 300) {
				let json: unknown;
				try {
					json = JSON.parse(res.text);
				} catch {
					throw new OrchestratorError(res.status, 'reply is not JSON', endpoint);
				}
				const parsed = schema.safeParse(json);
				if (!parsed.success) throw new OrchestratorError(res.status, `unexpected reply: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`, endpoint);
				return parsed.data;
			}
			// A redirect would send our signed request elsewhere: never followed.
			if (res.status >= 300 && res.status < 400) throw new OrchestratorError(res.status, `redirect to ${String(res.headers.location ?? '?').slice(0, 100)} refused`, endpoint);
			const skew = res.status === 401 ? this.clock.text() : null;
			const detail = skew ? `${errorDetail(res)} (${skew})` : errorDetail(res);
			if (res.status === 409) {
				if (/version mismatch/i.test(detail)) throw new VersionMismatchError(409, detail, endpoint);
				throw new WrongPhaseError(409, detail, endpoint);
			}
			last = new OrchestratorError(res.status, detail, endpoint);
			if (res.status !== 429 && res.status < 500) throw last;
			const retryAfter = Number(res.headers['retry-after']);
			await this.backoff(endpoint, attempt, `HTTP ${res.status}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
		}
		throw last!;
	}

	private async backoff(endpoint: string, attempt: number, reason: string, hintMs?: number): Promise<void> {
		if (attempt >= this.o.attempts) return;
		const delayMs = Math.min(this.o.maxBackoffMs, hintMs ?? this.o.backoffMs * 2 ** (attempt - 1));
		this.o.onRetry?.({endpoint, attempt, reason, delayMs});
		await sleep(delayMs, this.o.signal);
	}

	// ---- the v1 miner API
	async register(): Promise<S.RegisterResponse> {
		const r = await this.call('POST', '/orchestrator/register_miner', S.RegisterResponse, {body: {}});
		this.orchestratorVersion = r.version;
		return r;
	}
	healthcheck() {
		return this.call('GET', '/orchestrator/healthcheck', S.Healthcheck, {signed: false});
	}
	async isRegistered(): Promise<boolean> {
		return (await this.call('GET', '/orchestrator/is_registered', S.IsRegistered)).is_registered;
	}
	randomActivation(): Promise<S.ActivationResponse> {
		return this.call('POST', '/storage/activations/random', S.ActivationResponse, {body: {}});
	}
	initiateUpload(req: {path: string; file_size: number; part_size?: number; expires_in?: number}) {
		const body = {part_size: 100 * 1024 * 1024, expires_in: 3600, ...req};
		return this.call('POST', '/storage/multipart_upload/initiate', S.MultipartInitiateResponse, {body});
	}
	completeUpload(req: {path: string; upload_id: string; parts: {PartNumber: number; ETag: string}[]}) {
		return this.call('POST', '/storage/multipart_upload/complete', S.MultipartCompleteResponse, {body: req});
	}
	/** A presigned PUT URL for a small object (v1 uses it for metadata JSON). */
	async presignedUrl(path: string, expiresIn = 3600): Promise<string> {
		return (await this.call('GET', '/storage/presigned_url', S.PresignedUrlResponse, {body: {path, expires_in: expiresIn}})).data.presigned_data;
	}
	updateStatus(status: 'forward' | 'backward' | 'initial' | 'idle', activationUid: string | null = null, activationPath: string | null = null) {
		return this.call('POST', '/orchestrator/miners/status', S.Message, {body: {status, activation_uid: activationUid, activation_path: activationPath}});
	}
	reportLoss(activationUid: string, loss: number) {
		return this.call('POST', '/orchestrator/miners/report_loss', S.LossReportResponse, {body: {activation_uid: activationUid, loss_value: pyFloat(loss)}});
	}
	async isActive(layer: number, activationUid: string): Promise<boolean> {
		return (await this.call('GET', '/storage/activations/is_active', S.IsActive, {query: {layer, activation_uid: activationUid}})).is_active;
	}
	learningRate(): Promise<number> {
		return this.call('GET', '/orchestrator/request_learning_rate', S.LearningRate);
	}
	isMerging(layer: number) {
		return this.call('GET', '/orchestrator/is_merging', S.IsMerging, {query: {layer}});
	}
	notifyWeightsUploaded(p: {weights_path: string; metadata_path: string; optimizer_state_path: string; optimizer_state_metadata_path: string}) {
		return this.call('POST', '/orchestrator/miners/notify_weights_uploaded', S.NotifyWeightsResponse, {query: p, body: {}});
	}
	chunksForMiner() {
		return this.call('GET', '/orchestrator/get_chunks_for_miner', S.ChunksForMiner);
	}
	notifyMergedPartitions(partitions: S.Partition[]) {
		return this.call('POST', '/orchestrator/miners/notify_merged_partitions_uploaded', S.Message, {body: partitions as unknown as PyJson});
	}
	layerWeights(layer: number) {
		return this.call('GET', `/storage/weights/layer/${layer}`, S.Partitions);
	}
	minerDetail(hotkey = this.hotkey) {
		return this.call('GET', `/orchestrator/metrics/miner_detail/${encodeURIComponent(hotkey)}`, S.MinerDetail, {signed: false});
	}
	globalMinerWeights() {
		return this.call('GET', '/orchestrator/global_miner_weights', S.GlobalMinerWeights, {signed: false});
	}
	/** Devnet extension: the orchestrator's settings (layers, thresholds, timeouts, limits). */
	settings() {
		return this.call('GET', '/orchestrator/settings', SettingsReply, {signed: false});
	}
}

/** Settings plus the optional hosts whose presigned URLs the miner may use besides the orchestrator's. */
const SettingsReply = OrchestratorSettings.extend({store_hosts: z.array(z.string().min(1).max(253)).max(16).optional()});

function errorDetail(res: HttpResponse): string {
	try {
		const j = JSON.parse(res.text) as {detail?: unknown};
		if (typeof j.detail === 'string') return j.detail;
		if (j.detail !== undefined) return JSON.stringify(j.detail);
	} catch {
		// not JSON
	}
	return res.text.slice(0, 200) || `HTTP ${res.status}`;
}
