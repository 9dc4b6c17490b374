// Named networks and what a --network value means.
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
