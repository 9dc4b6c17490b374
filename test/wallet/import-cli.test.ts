// `iota-tui wallet import` from a mnemonic file, as a script would run it.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {runCli} from '../helpers/cli.js';

const MNEMONIC = 'old leopard transfer rib spatial phone calm indicate online fire caution review';
const ADDRESS = '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX';

let dir: string;
before(() => {
	dir = mkdtempSync(join(tmpdir(), 'iota-import-'));
	writeFileSync(join(dir, 'mnemonic'), `${MNEMONIC}\n`);
	writeFileSync(join(dir, 'pw'), 'import-pass\n');
});
after(() => rmSync(dir, {recursive: true, force: true}));

const args = (...extra: string[]) => ['wallet', 'import', '--wallet-path', join(dir, 'w'), '--wallet', 'imp', '--mnemonic-file', join(dir, 'mnemonic'), '--password-file', join(dir, 'pw'), '--no-prompt', '--json', ...extra];

test('imports the coldkey from its mnemonic; refuses to overwrite; --overwrite --yes replaces the hotkey', async () => {
	const first = await runCli(args());
	assert.equal(first.code, 0, first.stderr);
	const keys = JSON.parse(first.stdout) as {coldkey: string; hotkey: string};
	assert.equal(keys.coldkey, ADDRESS);
	assert.equal(JSON.parse(readFileSync(join(dir, 'w', 'imp', 'coldkeypub.txt'), 'utf8')).ss58Address, ADDRESS);

	const again = await runCli(args());
	assert.equal(again.code, 1);
	assert.match(again.stderr, /already exists: refusing to overwrite keys/);
	const noYes = await runCli(args('--overwrite'));
	assert.equal(noYes.code, 2);
	assert.match(noYes.stderr, /add --yes to confirm without a terminal/);
	assert.equal(JSON.parse(readFileSync(join(dir, 'w', 'imp', 'hotkeys', 'default'), 'utf8')).ss58Address, keys.hotkey, 'nothing changed');

	const replaced = await runCli(args('--overwrite', '--yes'));
	assert.equal(replaced.code, 0, replaced.stderr);
	const now = JSON.parse(replaced.stdout) as {coldkey: string; hotkey: string};
	assert.equal(now.coldkey, ADDRESS);
	assert.notEqual(now.hotkey, keys.hotkey, 'a new hotkey was made');
});

test('a bad mnemonic is refused before anything is written', async () => {
	writeFileSync(join(dir, 'bad'), 'old leopard transfer rib spatial phone calm indicate online fire caution caution\n');
	const r = await runCli(['wallet', 'import', '--wallet-path', join(dir, 'w'), '--wallet', 'bad', '--mnemonic-file', join(dir, 'bad'), '--password-file', join(dir, 'pw'), '--no-prompt']);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /not a valid BIP39 mnemonic/);
	const list = await runCli(['wallet', 'list', '--wallet-path', join(dir, 'w'), '--json']);
	assert.deepEqual((JSON.parse(list.stdout) as {wallets: {name: string}[]}).wallets.map(w => w.name), ['imp']);
});
