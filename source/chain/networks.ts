// Named networks and what a --network value means: the chain, and the profile `mine` uses for the
// orchestrator (which URL, which miner protocol, whether devnet-only endpoints exist there).
import {UserError} from '../errors.js';

export const DEFAULT_DEVNET_CHAIN = 'ws://127.0.0.1:9944';

export const NETWORKS: Record<string, string> = {
	test: 'wss://test.finney.opentensor.ai:443',
	finney: 'wss://entrypoint-finney.opentensor.ai:443',
};

export type ResolvedNetwork = {name: string; url: string; local: boolean};

export function resolveNetwork(value: string, devnetUrl = DEFAULT_DEVNET_CHAIN): ResolvedNetwork {
	if (value === 'devnet' || value === 'local') return {name: 'devnet', url: devnetUrl, local: true};
	if (NETWORKS[value]) return {name: value, url: NETWORKS[value]!, local: false};
	if (/^wss?:\/\/[^\s]+$/.test(value)) {
		const local = /^wss?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\/?$/.test(value);
		return {name: local ? 'devnet' : 'custom', url: value, local};
	}
	throw new UserError(`unknown network "${value}": use devnet, test, finney or a ws:// / wss:// URL`, 2);
}

/** current: IOTA spec 30017 (what mainnet and testnet run); v1: the mid-2025 API the devnet serves by default. */
export type MinerProtocolName = 'current' | 'v1';
export const MINER_PROTOCOLS: readonly MinerProtocolName[] = ['current', 'v1'];
export const isMinerProtocol = (value: unknown): value is MinerProtocolName => value === 'current' || value === 'v1';

/** The local devnet's orchestrator (`iota-tui devnet`, default --port). */
export const DEVNET_ORCHESTRATOR = 'http://127.0.0.1:8010';
/** What `iota-tui devnet` serves without --protocol (and what the wizard's autostart starts). */
export const DEVNET_DEFAULT_PROTOCOL: MinerProtocolName = 'current';

/** Macrocosmos' orchestrators for the public networks (protocol notes §2 "Base URL"; port 443). */
export const ORCHESTRATORS: Record<string, {url: string; protocol: MinerProtocolName}> = {
	finney: {url: 'https://iota.api.macrocosmos.ai', protocol: 'current'},
	test: {url: 'https://iota-branch-main.api.macrocosmos.ai', protocol: 'current'},
};

export type NetworkProfile = ResolvedNetwork & {
	protocol: MinerProtocolName;
	/** Null: none known for this network (a remote ws:// URL): the caller must ask for --orchestrator. */
	orchestratorUrl: string | null;
	/**
	 * The orchestrator is the local devnet's own: endpoints only it serves (v1 GET /orchestrator/settings,
	 * the current devnet's /bridge routes, the faucet) may be called. Always false on test, finney and
	 * remote URLs; callers check it before calling any of them.
	 */
	devnetOnly: boolean;
	/** Where the protocol came from: a flag or config key wins over the network's default. */
	protocolFrom: 'flag' | 'config' | 'network';
};

export type ProfileOverrides = {
	devnetUrl?: string;
	/** --protocol, then config endpoints.protocol. */
	protocol?: MinerProtocolName;
	protocolFrom?: 'flag' | 'config';
	/** --orchestrator, then config endpoints.orchestrator. */
	orchestrator?: string;
};

const LOOPBACK_HTTP = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/;
export const isLoopbackUrl = (url: string) => LOOPBACK_HTTP.test(url);

/**
 * The profile a --network value names: finney and test talk to Macrocosmos' orchestrators over the
 * current protocol; the devnet (also a ws:// URL on this machine) to its local orchestrator over the
 * devnet's protocol; any other ws:// URL has no orchestrator of its own and defaults to current.
 */
export function resolveProfile(value: string, o: ProfileOverrides = {}): NetworkProfile {
	const net = resolveNetwork(value, o.devnetUrl);
	const known = net.local ? {url: DEVNET_ORCHESTRATOR, protocol: DEVNET_DEFAULT_PROTOCOL} : ORCHESTRATORS[net.name];
	const orchestratorUrl = o.orchestrator ?? known?.url ?? null;
	return {
		...net,
		protocol: o.protocol ?? known?.protocol ?? 'current',
		protocolFrom: o.protocol ? (o.protocolFrom ?? 'flag') : 'network',
		orchestratorUrl,
		devnetOnly: net.local && orchestratorUrl !== null && isLoopbackUrl(orchestratorUrl),
	};
}

/**
 * Which protocol the local devnet's orchestrator speaks: v1 serves GET /orchestrator/settings, the
 * current one GET /healthcheck (both unsigned). Only for devnet profiles; null when it does not answer
 * (not started yet: the caller keeps the devnet default).
 */
export async function probeDevnetProtocol(orchestratorUrl: string, timeoutMs = 1500): Promise<MinerProtocolName | null> {
	if (!isLoopbackUrl(orchestratorUrl)) return null;
	const base = orchestratorUrl.replace(/\/+$/, '');
	const ok = async (path: string) => {
		try {
			const r = await fetch(`${base}${path}`, {signal: AbortSignal.timeout(timeoutMs)});
			await r.body?.cancel();
			return r.ok;
		} catch {
			return false;
		}
	};
	if (await ok('/orchestrator/settings')) return 'v1';
	if (await ok('/healthcheck')) return 'current';
	return null;
}
