// sr25519 keys as bittensor-wallet writes them. polkadot.js keeps the secret scalar in
// "ed25519 form" (multiplied by the cofactor 8); btwallet stores the canonical scalar.
import {Keyring} from '@polkadot/keyring';
import type {KeyringPair} from '@polkadot/keyring/types';
import {u8aToHex, hexToU8a, isHex} from '@polkadot/util';
import {
	cryptoWaitReady,
	mnemonicGenerate,
	mnemonicToMiniSecret,
	mnemonicValidate,
	sr25519PairFromSeed,
	encodeAddress,
} from '@polkadot/util-crypto';
import {UserError} from '../errors.js';

export const SS58_PREFIX = 42;
export const MNEMONIC_WORDS = [12, 15, 18, 21, 24] as const;
export type MnemonicWords = (typeof MNEMONIC_WORDS)[number];

export type KeyData = {
	accountId: string;
	publicKey: string;
	privateKey: string;
	secretPhrase: string | null;
	secretSeed: string | null;
	ss58Address: string;
};

export type PublicKeyData = Pick<KeyData, 'accountId' | 'publicKey' | 'ss58Address'>;

const keyring = () => new Keyring({type: 'sr25519', ss58Format: SS58_PREFIX});

export async function ready(): Promise<void> {
	await cryptoWaitReady();
}

export function newMnemonic(words: number = 12): string {
	if (!(MNEMONIC_WORDS as readonly number[]).includes(words)) {
		throw new UserError(`a mnemonic has 12, 15, 18, 21 or 24 words, not ${words}`, 2);
	}
	return mnemonicGenerate(words as MnemonicWords);
}

// Scalar halves are 32-byte little-endian integers; the nonce half is kept as is.
function scaleScalar(secret: Uint8Array, multiply: boolean): Uint8Array {
	let n = 0n;
	for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(secret[i]!);
	n = multiply ? n * 8n : n >> 3n;
	const out = new Uint8Array(64);
	for (let i = 0; i < 32; i++) {
		out[i] = Number(n & 0xffn);
		n >>= 8n;
	}
	out.set(secret.subarray(32, 64), 32);
	return out;
}

export const toCanonicalSecret = (ed25519Form: Uint8Array) => scaleScalar(ed25519Form, false);
export const fromCanonicalSecret = (canonical: Uint8Array) => scaleScalar(canonical, true);

function keyDataFromSeed(seed: Uint8Array, phrase: string | null): KeyData {
	const {publicKey, secretKey} = sr25519PairFromSeed(seed);
	const pub = u8aToHex(publicKey);
	return {
		accountId: pub,
		publicKey: pub,
		privateKey: u8aToHex(toCanonicalSecret(secretKey)),
		secretPhrase: phrase,
		secretSeed: u8aToHex(seed),
		ss58Address: encodeAddress(publicKey, SS58_PREFIX),
	};
}

export function keyDataFromMnemonic(mnemonic: string): KeyData {
	const phrase = mnemonic.trim().split(/\s+/).join(' ');
	if (!(MNEMONIC_WORDS as readonly number[]).includes(phrase.split(' ').length) || !mnemonicValidate(phrase)) {
		throw new UserError('that is not a valid BIP39 mnemonic (12-24 English words with a valid checksum)');
	}
	return keyDataFromSeed(mnemonicToMiniSecret(phrase), phrase);
}

export function keyDataFromSeedHex(seedHex: string): KeyData {
	if (!isHex(seedHex) || hexToU8a(seedHex).length !== 32) {
		throw new UserError('a secret seed is 0x followed by 64 hex digits');
	}
	return keyDataFromSeed(hexToU8a(seedHex), null);
}

export function publicPart(data: KeyData): PublicKeyData {
	return {accountId: data.accountId, publicKey: data.publicKey, ss58Address: data.ss58Address};
}

// Builds a signing pair from whatever a key file holds, in btwallet's order of preference.
export function pairFromKeyData(data: Partial<KeyData>): KeyringPair {
	if (data.secretPhrase) return keyring().addFromMnemonic(data.secretPhrase);
	if (data.secretSeed) return keyring().addFromSeed(hexToU8a(data.secretSeed));
	if (data.privateKey) {
		const canonical = hexToU8a(data.privateKey);
		if (canonical.length !== 64) throw new UserError('privateKey in the key file is not 64 bytes');
		const pub = hexToU8a(data.publicKey ?? data.accountId ?? '0x');
		return keyring().addFromPair({publicKey: pub, secretKey: fromCanonicalSecret(canonical)});
	}
	throw new UserError('the key file holds no secret (secretPhrase, secretSeed or privateKey)');
}

export async function pairFromMnemonic(mnemonic: string): Promise<KeyringPair> {
	await ready();
	return pairFromKeyData(keyDataFromMnemonic(mnemonic));
}
