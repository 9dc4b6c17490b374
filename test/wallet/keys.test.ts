import {test} from 'node:test';
import assert from 'node:assert/strict';
import {hexToU8a, u8aToHex} from '@polkadot/util';
import {sr25519PairFromSeed, mnemonicToMiniSecret} from '@polkadot/util-crypto';
import {fromCanonicalSecret, keyDataFromMnemonic, keyDataFromSeedHex, newMnemonic, pairFromKeyData, ready, toCanonicalSecret} from '../../source/wallet/keys.js';

// bittensor-wallet's own test vector (btwallet tests): mnemonic -> public key, address, seed, canonical secret.
const VECTOR = {
	mnemonic: 'old leopard transfer rib spatial phone calm indicate online fire caution review',
	publicKey: '0xe4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446',
	address: '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX',
	seed: '0xda3cf5b1e9144931a0f0db65664aab662673b099415a7f8121b7245fb0be4143',
};

test('a mnemonic gives the keys bittensor-wallet derives', async () => {
	await ready();
	const data = keyDataFromMnemonic(VECTOR.mnemonic);
	assert.equal(data.publicKey, VECTOR.publicKey);
	assert.equal(data.accountId, VECTOR.publicKey);
	assert.equal(data.ss58Address, VECTOR.address);
	assert.equal(data.secretSeed, VECTOR.seed);
	assert.equal(data.secretPhrase, VECTOR.mnemonic);
	assert.ok(data.privateKey.startsWith('0x1f1995bd'), `canonical scalar, got ${data.privateKey.slice(0, 12)}`);
	assert.ok(data.privateKey.endsWith('4dd4b84e'));
});

test('privateKey holds the canonical scalar: x8 gives back polkadot.js secret, and signs', async () => {
	await ready();
	const data = keyDataFromMnemonic(VECTOR.mnemonic);
	const {secretKey} = sr25519PairFromSeed(mnemonicToMiniSecret(VECTOR.mnemonic));
	assert.equal(u8aToHex(fromCanonicalSecret(hexToU8a(data.privateKey))), u8aToHex(secretKey));
	assert.equal(u8aToHex(toCanonicalSecret(secretKey)), data.privateKey);
	// A file holding only privateKey (no phrase, no seed) still yields a working pair.
	const pair = pairFromKeyData({privateKey: data.privateKey, publicKey: data.publicKey});
	const message = new TextEncoder().encode('iota');
	assert.equal(pair.address, VECTOR.address);
	assert.ok(pair.verify(message, pair.sign(message), pair.publicKey));
});

test('seed-only key data gives the same address', async () => {
	await ready();
	assert.equal(keyDataFromSeedHex(VECTOR.seed).ss58Address, VECTOR.address);
	assert.throws(() => keyDataFromSeedHex('0x1234'), /64 hex digits/);
});

test('mnemonic lengths: 12 by default, 12-24 allowed, others refused', async () => {
	await ready();
	assert.equal(newMnemonic().split(' ').length, 12);
	for (const n of [12, 15, 18, 21, 24]) assert.equal(newMnemonic(n).split(' ').length, n);
	assert.throws(() => newMnemonic(13), /12, 15, 18, 21 or 24/);
	assert.throws(() => keyDataFromMnemonic('old leopard transfer rib spatial phone calm indicate online fire caution caution'), /not a valid BIP39/);
});
