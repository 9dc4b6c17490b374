// Well-known development keys of the local devnet (never used on a real network).
import {Keyring} from '@polkadot/keyring';
import type {KeyringPair} from '@polkadot/keyring/types';
import {cryptoWaitReady} from '@polkadot/util-crypto';

export const DEVNET_NETUID = 9;
export const TAO = 1_000_000_000n; // rao per TAO
export const FAUCET_DRIP = 1000n * TAO;

// The validator hotkey is the devnet orchestrator's: it sets weights on subnet 9 each tempo.
const uri = {sudo: '//Alice', faucet: '//Alice', ownerHotkey: '//Alice//iota-owner', validatorHotkey: '//Alice//iota-validator'} as const;

/** Stake the devnet validator holds on root (1:1, counted on subnet 9 at TaoWeight ~0.18). */
export const VALIDATOR_ROOT_STAKE = 10_000n * TAO;

export async function devnetKey(role: keyof typeof uri): Promise<KeyringPair> {
	await cryptoWaitReady();
	return new Keyring({type: 'sr25519', ss58Format: 42}).addFromUri(uri[role]);
}
