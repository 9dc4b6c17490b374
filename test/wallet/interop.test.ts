// Coldkeys round-trip with PyNaCl (Debian python3-nacl) following bittensor's recipe, both ways.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createWallet, loadColdkeyPair, coldkeyFile} from '../../source/wallet/wallet.js';
import {keyDataFromMnemonic, newMnemonic, ready} from '../../source/wallet/keys.js';

// Debian's python3 carries python3-nacl; a pyenv python3 on PATH may not.
const PYTHON = ['/usr/bin/python3', 'python3'].find(p => {
	try {
		execFileSync(p, ['-c', 'import nacl.pwhash, nacl.secret'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
});

const DECRYPT_PY = `
import sys, json
from nacl import pwhash, secret
SALT = b"\\x13q\\x83\\xdf\\xf1Z\\t\\xbc\\x9c\\x90\\xb5Q\\x879\\xe9\\xb1"
data = open(sys.argv[1], "rb").read()
assert data[:5] == b"$NACL", data[:5]
key = pwhash.argon2i.kdf(secret.SecretBox.KEY_SIZE, sys.argv[2].encode(), SALT,
    opslimit=pwhash.argon2i.OPSLIMIT_SENSITIVE, memlimit=pwhash.argon2i.MEMLIMIT_SENSITIVE)
print(json.dumps(json.loads(secret.SecretBox(key).decrypt(data[5:]))))
`;

const ENCRYPT_PY = `
import sys
from nacl import pwhash, secret, utils
SALT = b"\\x13q\\x83\\xdf\\xf1Z\\t\\xbc\\x9c\\x90\\xb5Q\\x879\\xe9\\xb1"
key = pwhash.argon2i.kdf(secret.SecretBox.KEY_SIZE, sys.argv[2].encode(), SALT,
    opslimit=pwhash.argon2i.OPSLIMIT_SENSITIVE, memlimit=pwhash.argon2i.MEMLIMIT_SENSITIVE)
box = secret.SecretBox(key).encrypt(open(sys.argv[1], "rb").read(), utils.random(secret.SecretBox.NONCE_SIZE))
open(sys.argv[3], "wb").write(b"$NACL" + box)
`;

let dir: string;
before(async () => {
	await ready();
	dir = mkdtempSync(join(tmpdir(), 'iota-interop-'));
});
after(() => rmSync(dir, {recursive: true, force: true}));

test('PyNaCl is available (Debian python3-nacl; .ci/run installs it)', () => {
	assert.ok(PYTHON, 'no python3 with PyNaCl: apt-get install python3-nacl');
});

test('PyNaCl decrypts a coldkey written by iota-tui', {skip: !PYTHON && 'no PyNaCl'}, async () => {
	const mnemonic = newMnemonic();
	const ref = {path: join(dir, 'w'), name: 'cold', hotkey: 'hot'};
	const made = await createWallet({...ref, password: 'pässword-1', coldkeyMnemonic: mnemonic, hotkeyMnemonic: newMnemonic()});
	const out = JSON.parse(execFileSync(PYTHON!, ['-c', DECRYPT_PY, coldkeyFile(ref), 'pässword-1'], {encoding: 'utf8'})) as Record<string, string>;
	assert.equal(out.secretPhrase, mnemonic);
	assert.equal(out.ss58Address, made.coldkey);
	assert.deepEqual(Object.keys(out).sort(), ['accountId', 'privateKey', 'publicKey', 'secretPhrase', 'secretSeed', 'ss58Address']);
	assert.equal(statSync(coldkeyFile(ref)).mode & 0o777, 0o600);
});

test('iota-tui decrypts a coldkey written by a PyNaCl script', {skip: !PYTHON && 'no PyNaCl'}, async () => {
	const mnemonic = newMnemonic(24);
	const data = keyDataFromMnemonic(mnemonic);
	const ref = {path: join(dir, 'w'), name: 'frompython', hotkey: 'default'};
	mkdirSync(join(ref.path, ref.name), {recursive: true});
	const plain = join(dir, 'plain.json');
	writeFileSync(plain, JSON.stringify(data));
	execFileSync(PYTHON!, ['-c', ENCRYPT_PY, plain, 'py-secret', coldkeyFile(ref)]);
	rmSync(plain);
	assert.equal(readFileSync(coldkeyFile(ref)).subarray(0, 5).toString(), '$NACL');
	const pair = await loadColdkeyPair(ref, 'py-secret');
	assert.equal(pair.address, data.ss58Address);
	await assert.rejects(loadColdkeyPair(ref, 'not-the-password'), /wrong password/);
});
