// The v1 adapter's connection: the signed orchestrator clients and the presigned-transfer options
// (which hosts URLs may point at, size caps, the stop signal).
import {OrchestratorClient, type ClientOptions} from '../../orchestrator/client.js';
import type {TransferOptions} from '../../orchestrator/transfer.js';
import type {Signer} from '../../orchestrator/epistula.js';
import type {ProtocolHost} from '../protocol.js';

export type V1Options = {
	url: string;
	signer: Signer;
	attempts?: number;
	backoffMs?: number;
	/** Hostnames presigned URLs may point at besides the orchestrator's. */
	storeHosts?: string[];
};

export type V1Link = {
	host: ProtocolHost;
	client: OrchestratorClient;
	/** The upload queue's own client: its publish calls may finish while stop() drains the queue. */
	uploadClient: OrchestratorClient;
	/** Grows with the settings' store_hosts. */
	allowHosts: string[];
	xfer(maxBytes?: number, signal?: AbortSignal): TransferOptions;
};

export function openLink(host: ProtocolHost, o: V1Options): V1Link {
	const clientOptions = (signal: AbortSignal): ClientOptions => ({
		url: o.url,
		signer: o.signer,
		attempts: o.attempts ?? 4,
		backoffMs: o.backoffMs ?? 1000,
		maxBackoffMs: 10_000,
		timeoutMs: 30_000,
		signal,
		// A 429 is the orchestrator pacing us (v1: 1 request/s per endpoint): a wait, not a warning.
		onRetry: r => (/\b429\b/.test(r.reason)
			? host.dispatch({type: 'waiting', what: `the orchestrator's rate limit on ${r.endpoint} (${Math.round(r.delayMs)} ms)`})
			: host.log('warn', `${r.endpoint}: ${r.reason}, retry ${r.attempt} in ${Math.round(r.delayMs)} ms`)),
	});
	const allowHosts = [new URL(o.url).hostname, ...(o.storeHosts ?? [])];
	return {
		host,
		client: new OrchestratorClient(clientOptions(host.stopSignal)),
		uploadClient: new OrchestratorClient(clientOptions(host.uploadsSignal)),
		allowHosts,
		xfer: (maxBytes, signal = host.stopSignal) => ({allowHosts, signal, maxBytes, backoffMs: o.backoffMs ?? 1000, onLink: host.storeLink}),
	};
}
