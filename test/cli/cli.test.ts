// The command line as scripts see it: help, version, exit codes, config errors, no-TTY behaviour.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {spawn} from 'node:child_process';
import {runCli, ROOT} from '../helpers/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;
before(() => {
	dir = mkdtempSync(join(tmpdir(), 'iota-cli-'));
	env = {IOTA_TUI_CONFIG_DIR: join(dir, 'config'), HOME: dir};
});
after(() => rmSync(dir, {recursive: true, force: true}));

test('--version prints the package version', async () => {
	const r = await runCli(['--version'], {env});
	assert.equal(r.code, 0);
	assert.equal(r.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
});

test('--help on every command, exit 0', async () => {
	const top = await runCli(['--help'], {env});
	assert.equal(top.code, 0);
	for (const name of ['wallet', 'register', 'status', 'chain']) assert.match(top.stdout, new RegExp(`\\n  ${name}\\b`));
	for (const args of [['wallet', 'create'], ['wallet', 'import'], ['wallet', 'list'], ['wallet', 'show'], ['register'], ['status'], ['chain']]) {
		const r = await runCli([...args, '--help'], {env});
		assert.equal(r.code, 0, args.join(' '));
		assert.match(r.stdout, new RegExp(`Usage: iota-tui ${args.join(' ')}`));
	}
});

test('usage errors exit 2, failures exit 1, each with one line', async () => {
	const unknown = await runCli(['frobnicate'], {env});
	assert.equal(unknown.code, 2);
	assert.match(unknown.stderr, /unknown command 'frobnicate'/);
	const badNet = await runCli(['status', '--network', 'moon'], {env});
	assert.equal(badNet.code, 2);
	assert.match(badNet.stderr, /^error: unknown network "moon": use devnet, test, finney or a ws:\/\/ \/ wss:\/\/ URL\n$/);
	const noWallet = await runCli(['wallet', 'show', '--wallet-path', join(dir, 'none')], {env});
	assert.equal(noWallet.code, 1);
	assert.equal(noWallet.stderr.trim().split('\n').length, 1);
	assert.match(noWallet.stderr, /no coldkey at .*coldkeypub\.txt: create one with `iota-tui wallet create`/);
});

test('without a TTY nothing waits for input: it names the missing flag', async () => {
	const wizard = await runCli([], {env});
	assert.equal(wizard.code, 2);
	assert.match(wizard.stderr, /no terminal for the interactive setup; no wallet "default" .*--password-file FILE --no-prompt/);
	const create = await runCli(['wallet', 'create', '--wallet-path', join(dir, 'w')], {env});
	assert.equal(create.code, 2);
	assert.match(create.stderr, /pass --password-file FILE/);
});

test('with CI set, a real terminal still gets no blank UI: the wizard says why and what to pass', async () => {
	// script(1) gives the CLI a pseudo-terminal; Ink would draw nothing there while CI is set.
	const cli = `stty cols 100 rows 30; ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'dist/cli.js'))}`;
	const onTty = (ci: Record<string, string>, stopAt?: RegExp) =>
		new Promise<{code: number | null; out: string}>((resolve, reject) => {
			const child = spawn('script', ['-qec', cli, '/dev/null'], {env: {...process.env, NO_COLOR: '1', ...env, ...ci}, stdio: ['pipe', 'pipe', 'pipe']});
			let out = '';
			child.stdout.on('data', d => {
				out += d;
				if (stopAt?.test(out)) child.kill('SIGKILL');
			});
			const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
			child.on('error', reject);
			child.on('close', code => (clearTimeout(timer), resolve({code, out})));
		});
	const ci = await onTty({CI: 'true'});
	assert.equal(ci.code, 2);
	assert.match(ci.out, /CI is set, so there is no terminal UI for the interactive setup \(unset CI for one\); no wallet "default"/);
	const notCi = await onTty({CI: 'false'}, /What would you like to do\?/);
	assert.match(notCi.out, /No wallet found in/, 'CI=false is not CI, as Ink reads it: the wizard draws');
});

test('a corrupt or invalid config file is one line naming the file and the key', async () => {
	const file = join(dir, 'config', 'config.json');
	const show = ['wallet', 'list', '--wallet-path', join(dir, 'w')];
	await runCli(['wallet', 'list'], {env}); // creates nothing, but the folder may not exist yet
	const {mkdirSync} = await import('node:fs');
	mkdirSync(join(dir, 'config'), {recursive: true});
	writeFileSync(file, '{"netuid": "nine"}');
	let r = await runCli(show, {env});
	assert.equal(r.code, 1);
	assert.match(r.stderr, /config\.json: bad value for "netuid": .*number/);
	writeFileSync(file, '{"netuid": 9, "colour": "blue"}');
	r = await runCli(show, {env});
	assert.match(r.stderr, /config\.json: unknown key "colour"/);
	writeFileSync(file, '{"netuid": 9,');
	r = await runCli(show, {env});
	assert.match(r.stderr, /config\.json: not valid JSON/);
	assert.equal(readFileSync(file, 'utf8'), '{"netuid": 9,', 'the broken file is left for the user to fix');
	writeFileSync(file, '{"netuid": 9, "theme": "light", "wallet": "m1"}');
	r = await runCli(show, {env});
	assert.equal(r.code, 0);
});

test('an unknown theme is a usage error listing the themes', async () => {
	const r = await runCli(['--theme', 'neon'], {env: {...env, NO_COLOR: ''}});
	assert.equal(r.code, 2);
	assert.match(r.stderr, /unknown theme "neon": choose one of dark, light, none/);
});

test('mine: a missing corpus, a missing tokenizer, or one whose vocabulary the model lacks is one line before anything starts', async () => {
	const {writeTestTokenizer} = await import('../../scripts/make-test-tokenizer.js');
	const tokenizer = writeTestTokenizer(join(dir, 'tok'));
	const corpus = await runCli(['mine', '--corpus', join(dir, 'no-such-corpus')], {env});
	assert.equal(corpus.code, 2, corpus.stderr);
	assert.match(corpus.stderr, /--corpus .*no-such-corpus not found/);
	const missing = await runCli(['mine', '--tokenizer', join(dir, 'nope.json')], {env});
	assert.equal(missing.code, 1, missing.stderr);
	assert.match(missing.stderr, /tokenizer file not found/);
	const mismatch = await runCli(['mine', '--tokenizer', tokenizer, '--model', 'devnet'], {env});
	assert.equal(mismatch.code, 2, mismatch.stderr);
	assert.match(mismatch.stderr, /--tokenizer has 128256 ids but --model devnet a 257-token vocabulary/);
	for (const r of [corpus, missing, mismatch]) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
