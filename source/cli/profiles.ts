// The network profile `mine`, `status` and the wizard's miner use: the --network value (or config
// network) names the chain and a default orchestrator and miner protocol; --orchestrator,
// --protocol and the config's endpoints.orchestrator / endpoints.protocol win over those defaults.
import type {Config} from '../config.js';
import {probeDevnetProtocol, resolveProfile, type MinerProtocolName, type NetworkProfile} from '../chain/networks.js';

export type ProfileFlags = {network?: string; orchestrator?: string; protocol?: MinerProtocolName};

/**
 * Resolves the profile. On the devnet, when neither a flag nor the config names the protocol, asks
 * the running devnet which one it serves (`iota-tui devnet --protocol`); if it does not answer yet,
 * the devnet's default stays.
 */
export async function resolveMinerProfile(flags: ProfileFlags, cfg: Config, probe: (url: string) => Promise<MinerProtocolName | null> = probeDevnetProtocol): Promise<NetworkProfile> {
	const protocol = flags.protocol ?? cfg.endpoints.protocol;
	const profile = resolveProfile(flags.network ?? cfg.network, {
		devnetUrl: cfg.endpoints.devnet,
		protocol,
		protocolFrom: flags.protocol ? 'flag' : 'config',
		orchestrator: flags.orchestrator ?? cfg.endpoints.orchestrator,
	});
	if (profile.devnetOnly && profile.protocolFrom === 'network' && profile.orchestratorUrl) {
		const served = await probe(profile.orchestratorUrl);
		if (served) return {...profile, protocol: served};
	}
	return profile;
}

/** The options startMiner takes from the profile. */
export type MinerProfileOptions = {protocol: MinerProtocolName; devnetOnly: boolean};
export const minerProfileOptions = (p: NetworkProfile): MinerProfileOptions => ({protocol: p.protocol, devnetOnly: p.devnetOnly});
