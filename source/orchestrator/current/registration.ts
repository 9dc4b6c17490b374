// Spec-30017 registration: join the server's queue, poll it, confirm without attestation, retry as the Python miner does.
import {abortableSleep} from '../sleep.js';
import {RequestBodyError} from './bodies.js';
import type {CurrentClient} from './client.js';
import {CurrentRequestError, oneLine, RunFullError, SpecVersionError} from './errors.js';
import * as S from './schemas.js';

export interface RegistrationOptions {
	client: CurrentClient;
	/** Our iroh node id (required by the server). */
	p2pNodeId: string;
	coldkey?: string | null;
	/** MinerSystemData as JSON text. */
	systemData?: string | null;
	location?: S.NodeLocation | null;
	log?: (line: string) => void;
	signal?: AbortSignal;
	/** Wait after RunFullError (Python: 60 s). */
	runFullRetryMs?: number;
	/** Wait after any other failure (Python: 10 s). */
	errorRetryMs?: number;
	/** Queue polls wait poll_after_seconds ± this fraction (Python: 0.2). */
	jitter?: number;
	/** Floor and ceiling on a queue poll wait, whatever the server asks. */
	minPollMs?: number;
	maxPollMs?: number;
	/** Registration attempts before giving up (default: until stopped). */
	maxAttempts?: number;
	random?: () => number;
	onQueueState?: (q: S.RegistrationQueueStatus) => void;
}

/** A registration the miner can act on: layer, epoch, config and metadata all present. */
export type Registered = S.MinerRegistrationResponse & {layer: number; current_epoch: number; model_cfg: S.ModelConfig; model_metadata: S.ModelMetadata};

export class RegistrationError extends Error {
	override name = 'RegistrationError';
}

export const ATTESTATION_NOTE = 'iota-tui cannot attest (that needs the closed native attest module or an Apple enclave key): sending attestation null';

/** poll_after_seconds with ±jitter, clamped to [minMs, maxMs]. */
export function pollDelayMs(pollAfterS: number, o: {jitter?: number; minMs?: number; maxMs?: number; random?: () => number} = {}): number {
	const jitter = Math.max(0, o.jitter ?? 0.2);
	const base = Math.max(0, pollAfterS) * 1000;
	const ms = base * (1 - jitter + 2 * jitter * (o.random ?? Math.random)());
	return Math.round(Math.min(o.maxMs ?? 300_000, Math.max(o.minMs ?? 500, ms)));
}

const stopped = () => new RegistrationError('registration stopped');

/** Registers, retrying until it succeeds; a spec mismatch or a stop ends it. */
export async function registerMiner(opts: RegistrationOptions): Promise<Registered> {
	const log = opts.log ?? (() => {});
	const maxAttempts = opts.maxAttempts ?? Infinity;
	log(ATTESTATION_NOTE);
	for (let attempt = 1; ; attempt++) {
		try {
			return await registerOnce(opts);
		} catch (error) {
			if (opts.signal?.aborted) throw stopped();
			if (error instanceof SpecVersionError || error instanceof RequestBodyError) throw error;
			if (error instanceof CurrentRequestError && error.detail === 'stopped') throw stopped();
			if (attempt >= maxAttempts) throw error;
			const full = error instanceof RunFullError;
			const waitMs = full ? (opts.runFullRetryMs ?? 60_000) : (opts.errorRetryMs ?? 10_000);
			log(`registration failed (${oneLine((error as Error).message)}); retrying in ${Math.round(waitMs / 1000)} s`);
			await abortableSleep(waitMs, opts.signal, stopped);
		}
	}
}

/** One registration: POST /miner/register, then follow the queue to its final answer. */
export async function registerOnce(opts: RegistrationOptions): Promise<Registered> {
	const {client} = opts;
	const log = opts.log ?? (() => {});
	let reply = await client.register({
		p2p_node_id: opts.p2pNodeId,
		register_as_metagraph_miner: true,
		coldkey: opts.coldkey ?? null,
		system_data: opts.systemData ?? null,
		location: opts.location ?? null,
		attestation: null,
	});
	let justConfirmed = false;
	while (S.isQueueStatus(reply)) {
		const q = reply;
		opts.onQueueState?.(q);
		if (q.response) return usable(q.response);
		if (q.status === 'failed' || q.status === 'expired') {
			const why = q.error ? JSON.stringify(q.error) : (q.detail ?? 'no reason given');
			throw new RegistrationError(`registration queue ${q.status}: ${oneLine(why)}`);
		}
		if (q.payload_mismatch) log('registration queue reports a payload mismatch');
		// Confirm once per poll: a server that keeps asking is not hammered.
		if (q.confirmation_required && !justConfirmed) {
			log(`registration queue ${oneLine(q.queue_id, 64)} asks for confirmation${q.selected_run_id ? ` (run ${oneLine(q.selected_run_id, 64)})` : ''}: confirming with attestation null`);
			reply = await client.registerConfirm(q.queue_id, {attestation: null, enclave_payload: null});
			justConfirmed = true;
			continue;
		}
		justConfirmed = false;
		if (q.position !== undefined && q.position !== null) log(`registration queue position ${q.position}`);
		await abortableSleep(pollDelayMs(q.poll_after_seconds, {jitter: opts.jitter, minMs: opts.minPollMs, maxMs: opts.maxPollMs, random: opts.random}), opts.signal, stopped);
		reply = await client.registerStatus(q.queue_id);
	}
	return usable(reply);
}

/** The Python miner cannot go on without these either. */
function usable(r: S.MinerRegistrationResponse): Registered {
	for (const field of ['layer', 'current_epoch', 'model_cfg', 'model_metadata'] as const) {
		if (r[field] === null || r[field] === undefined) throw new RegistrationError(`registered on run ${oneLine(r.run_id, 64)} without ${field}`);
	}
	return r as Registered;
}
