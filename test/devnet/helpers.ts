// Shared by the devnet tests: identities, clients, and small upload/download helpers.
import {randomUUID} from 'node:crypto';
import {Keyring} from '@polkadot/keyring';
import type {KeyringPair} from '@polkadot/keyring/types';
import {cryptoWaitReady, mnemonicGenerate} from '@polkadot/util-crypto';
import {OrchestratorClient} from '../../source/orchestrator/client.js';
import type {OrchestratorSettingsInput} from '../../source/orchestrator/settings.js';

export async function newPair(): Promise<KeyringPair> {
	await cryptoWaitReady();
	return new Keyring({type: 'sr25519', ss58Format: 42}).addFromMnemonic(mnemonicGenerate(12));
}

export const clientFor = (url: string, pair: KeyringPair, attempts = 3) =>
	new OrchestratorClient({url, signer: pair, attempts, backoffMs: 20, maxBackoffMs: 200, timeoutMs: 15_000});

/** Settings the protocol suites run with: one backward pass per miner before merging. */
export const TEST_SETTINGS: OrchestratorSettingsInput = {
	layers: 3,
	batches_before_merging: 1,
	rate_limit_per_s: 20,
	rate_limit_random_per_s: 50,
	metagraph_ttl_s: 2,
};

export const bytes = (n: number, seed: number): Uint8Array => {
	const out = new Uint8Array(n);
	for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17) % 256;
	return out;
};

export const activationKey = (uid: string, layer: number, direction: string) => `activations/${uid}/${layer}/${direction}/${randomUUID()}.bin`;
export const weightKey = (kind: 'weights' | 'optimizer_state' | 'metadata/weights' | 'metadata/optimizer_state', hotkey: string, sections: number, epoch: number) =>
	`${kind}/${hotkey}/${sections}/${epoch}/${randomUUID()}.${kind.startsWith('metadata') ? 'json' : 'bin'}`;
