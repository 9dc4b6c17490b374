// Well-known development keys of the local devnet (never used on a real network).
import {Keyring} from '@polkadot/keyring';
import type {KeyringPair} from '@polkadot/keyring/types';
import {cryptoWaitReady} from '@polkadot/util-crypto';

export const DEVNET_NETUID = 9;
export const TAO = 1_000_000_000n; // rao per TAO
export const FAUCET_DRIP = 1000n * TAO;

const uri = {sudo: '//Alice', faucet: '//Alice', ownerHotkey: '//Alice//iota-owner'} as const;

export async function devnetKey(role: keyof typeof uri): Promise<KeyringPair> {
	await cryptoWaitReady();
	return new Keyring({type: 'sr25519', ss58Format: 42}).addFromUri(uri[role]);
}
