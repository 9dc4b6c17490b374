// Wallet files on disk: layout, modes, no overwrite, corrupt and legacy files.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, readdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createWallet, loadColdkeyPair, loadHotkeyPair, listWallets, coldkeyFile, hotkeyFile, coldkeyPubFile, hotkeyPubFile} from '../../source/wallet/wallet.js';
import {detectKeyFile, decryptWithKey} from '../../source/wallet/keyfile.js';
import {newMnemonic, ready} from '../../source/wallet/keys.js';

let dir: string;
const ref = () => ({path: join(dir, 'wallets'), name: 'miner', hotkey: 'h0'});
let coldMnemonic: string;
let made: {coldkey: string; hotkey: string};

before(async () => {
	await ready();
	dir = mkdtempSync(join(tmpdir(), 'iota-wallet-'));
	coldMnemonic = newMnemonic();
	made = await createWallet({...ref(), password: 'correct horse', coldkeyMnemonic: coldMnemonic, hotkeyMnemonic: newMnemonic()});
});
after(() => rmSync(dir, {recursive: true, force: true}));

test('btcli layout with 0600 files and 0700 folders, public files with three fields', () => {
	const r = ref();
	for (const f of [coldkeyFile(r), coldkeyPubFile(r), hotkeyFile(r), hotkeyPubFile(r)]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
	assert.equal(statSync(join(r.path, r.name)).mode & 0o777, 0o700);
	assert.equal(statSync(join(r.path, r.name, 'hotkeys')).mode & 0o777, 0o700);
	const pub = JSON.parse(readFileSync(coldkeyPubFile(r), 'utf8')) as Record<string, string>;
	assert.deepEqual(Object.keys(pub).sort(), ['accountId', 'publicKey', 'ss58Address']);
	assert.equal(pub.ss58Address, made.coldkey);
	const hot = JSON.parse(readFileSync(hotkeyFile(r), 'utf8')) as Record<string, string>;
	assert.equal(hot.ss58Address, made.hotkey);
	assert.match(hot.secretPhrase!, /^(\w+ ){11}\w+$/);
	assert.equal(detectKeyFile(readFileSync(coldkeyFile(r))), 'nacl');
	assert.ok(!readFileSync(coldkeyFile(r)).includes(Buffer.from(coldMnemonic.split(' ')[0]!)), 'the coldkey file is encrypted');
});

test('never overwrites an existing key unless asked', async () => {
	const before = readFileSync(coldkeyFile(ref()));
	await assert.rejects(createWallet({...ref(), password: 'x12345', coldkeyMnemonic: newMnemonic(), hotkeyMnemonic: newMnemonic()}), /refusing to overwrite/);
	await assert.rejects(createWallet({...ref(), password: '', hotkeyMnemonic: newMnemonic(), reuseColdkey: true}), /hotkey "h0" already exists/);
	assert.deepEqual(readFileSync(coldkeyFile(ref())), before);
	assert.deepEqual(readdirSync(join(ref().path, 'miner')).sort(), ['coldkey', 'coldkeypub.txt', 'hotkeys']);
	// A second hotkey next to the coldkey is fine.
	const second = await createWallet({...ref(), hotkey: 'h1', password: '', hotkeyMnemonic: newMnemonic(), reuseColdkey: true});
	assert.equal(second.coldkey, made.coldkey);
	const listed = await listWallets(ref().path);
	assert.deepEqual(listed.map(w => [w.name, w.coldkey, w.hotkeys.map(h => h.name)]), [['miner', made.coldkey, ['h0', 'h1']]]);
});

test('unlocks with the right password only; hotkeys load without one', async () => {
	const pair = await loadColdkeyPair(ref(), 'correct horse');
	assert.equal(pair.address, made.coldkey);
	await assert.rejects(loadColdkeyPair(ref(), 'wrong horse'), /wrong password/);
	assert.equal((await loadHotkeyPair(ref())).address, made.hotkey);
});

test('legacy, corrupt and missing files give one clear line each', async () => {
	const key = new Uint8Array(32);
	await assert.rejects(decryptWithKey(Buffer.from('$ANSIBLE_VAULT;1.1;AES256\n3033'), key), /legacy \$ANSIBLE_VAULT/);
	await assert.rejects(decryptWithKey(Buffer.from('gAAAAABkZXJuZXQ='), key), /legacy Fernet/);
	await assert.rejects(decryptWithKey(Buffer.from('$NACL123'), key), /truncated/);
	const broken = {path: ref().path, name: 'broken', hotkey: 'default'};
	mkdirSync(join(broken.path, 'broken', 'hotkeys'), {recursive: true});
	writeFileSync(join(broken.path, 'broken', 'coldkey'), 'garbage');
	writeFileSync(join(broken.path, 'broken', 'hotkeys', 'default'), '{"ss58Address": ');
	await assert.rejects(loadColdkeyPair(broken, 'x'), /not an encrypted \$NACL key file/);
	await assert.rejects(loadHotkeyPair(broken), /corrupt/);
	await assert.rejects(loadHotkeyPair({...broken, hotkey: 'nope'}), /no hotkey at .*iota-tui wallet create/);
});
