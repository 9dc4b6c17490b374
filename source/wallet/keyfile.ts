// Coldkey encryption exactly as bittensor-wallet: "$NACL" + 24-byte nonce + secretbox,
// key = Argon2i v1.3 (opslimit 8, memlimit 512 MiB, fixed salt) of the password.
import sodium from 'libsodium-wrappers-sumo';
import {UserError} from '../errors.js';
import {deriveKeyInWorker} from './derive.js';

export const NACL_PREFIX = '$NACL';
export const NACL_SALT = Uint8Array.from(Buffer.from('137183dff15a09bc9c90b5518739e9b1', 'hex'));
export const ARGON2I_OPSLIMIT = 8;
export const ARGON2I_MEMLIMIT = 536_870_912;

export type KeyFileKind = 'nacl' | 'ansible-vault' | 'fernet' | 'json' | 'unknown';

export function detectKeyFile(bytes: Uint8Array): KeyFileKind {
	const head = Buffer.from(bytes.subarray(0, 16)).toString('latin1');
	if (head.startsWith(NACL_PREFIX)) return 'nacl';
	if (head.startsWith('$ANSIBLE_VAULT')) return 'ansible-vault';
	if (head.startsWith('gAAAAA')) return 'fernet';
	if (head.trimStart().startsWith('{')) return 'json';
	return 'unknown';
}

export async function deriveKey(password: string): Promise<Uint8Array> {
	return deriveKeyInWorker(password, NACL_SALT, ARGON2I_OPSLIMIT, ARGON2I_MEMLIMIT);
}

export async function encryptWithKey(plain: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
	await sodium.ready;
	const nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
	const box = sodium.crypto_secretbox_easy(plain, nonce, key);
	return Buffer.concat([Buffer.from(NACL_PREFIX, 'latin1'), nonce, box]);
}

export async function decryptWithKey(data: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
	await sodium.ready;
	const kind = detectKeyFile(data);
	if (kind === 'ansible-vault') {
		throw new UserError('this coldkey uses the legacy $ANSIBLE_VAULT format: open it once with btcli (`btcli wallet regen-coldkey`) to re-encrypt it as $NACL');
	}
	if (kind === 'fernet') {
		throw new UserError('this coldkey uses the legacy Fernet (gAAAAA) format: re-encrypt it with a current btcli (`btcli wallet regen-coldkey`)');
	}
	if (kind !== 'nacl') throw new UserError('the coldkey file is not an encrypted $NACL key file (corrupt or unknown format)');
	const nonceEnd = NACL_PREFIX.length + sodium.crypto_secretbox_NONCEBYTES;
	if (data.length < nonceEnd + sodium.crypto_secretbox_MACBYTES) throw new UserError('the coldkey file is truncated');
	try {
		return sodium.crypto_secretbox_open_easy(data.subarray(nonceEnd), data.subarray(NACL_PREFIX.length, nonceEnd), key);
	} catch {
		throw new UserError('wrong password for this coldkey (or the file is corrupt): try again, or import the wallet from its mnemonic');
	}
}

export async function encrypt(plain: Uint8Array, password: string): Promise<Uint8Array> {
	return encryptWithKey(plain, await deriveKey(password));
}

export async function decrypt(data: Uint8Array, password: string): Promise<Uint8Array> {
	const kind = detectKeyFile(data);
	if (kind !== 'nacl') return decryptWithKey(data, new Uint8Array(32)); // throws the right message
	return decryptWithKey(data, await deriveKey(password));
}
