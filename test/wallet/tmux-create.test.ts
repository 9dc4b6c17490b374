// `wallet create` in a real terminal (tmux), typed as over SSH: each answer and its Enter in ONE
// send-keys call, so the text and the carriage return reach the app as one chunk. The coldkey it
// writes must open with PyNaCl (bittensor's recipe) under exactly the password typed.
import {test, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {ROOT} from '../helpers/cli.js';

const hasTmux = (() => {
	try {
		execFileSync('tmux', ['-V'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
})();
const PYTHON = ['/usr/bin/python3', 'python3'].find(p => {
	try {
		execFileSync(p, ['-c', 'import nacl.pwhash'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
});

const socket = `iota-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'});
const dir = mkdtempSync(join(tmpdir(), 'iota-tmux-wallet-'));
after(() => {
	if (hasTmux) {
		try {
			tmux('kill-server'); // our own server (-L socket), nothing else
		} catch {
			// already gone
		}
	}
	rmSync(dir, {recursive: true, force: true});
});

const screen = () => tmux('capture-pane', '-p', '-t', 'w');
async function waitFor(pattern: RegExp, ms = 60_000): Promise<RegExpExecArray> {
	const deadline = Date.now() + ms;
	for (;;) {
		const m = pattern.exec(screen());
		if (m) return m;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${screen()}`);
		await new Promise(r => setTimeout(r, 200));
	}
}

test('wallet create in tmux: answers sent with Enter in one chunk; PyNaCl opens the coldkey with the typed password', {skip: !hasTmux || !PYTHON ? 'needs tmux and python3-nacl (.ci/run installs both)' : false, timeout: 180_000}, async () => {
	const password = 'hunter22pw';
	const cli = `${process.execPath} ${join(ROOT, 'dist', 'cli.js')} wallet create --wallet-path ${dir} --wallet w --hotkey h`;
	tmux('new-session', '-d', '-s', 'w', '-x', '110', '-y', '30', `env -u CI -u CONTINUOUS_INTEGRATION NO_COLOR=1 ${cli}; echo EXIT=$?; sleep 120`);
	await waitFor(/Press Enter when you have written it down/);
	const words = new Map([...screen().matchAll(/(\d+)\.\s+([a-z]+)/g)].map(m => [Number(m[1]), m[2]!]));
	assert.ok(words.size >= 12, `mnemonic words on screen: ${words.size}`);
	tmux('send-keys', '-t', 'w', 'Enter');
	const n = Number((await waitFor(/type word #(\d+)/))[1]);
	tmux('send-keys', '-t', 'w', words.get(n)!, 'Enter');
	await waitFor(/New coldkey password/);
	tmux('send-keys', '-t', 'w', password, 'Enter');
	await waitFor(/Type it again/);
	tmux('send-keys', '-t', 'w', password, 'Enter');
	await waitFor(/EXIT=\d+/, 120_000);
	assert.match(screen(), /EXIT=0/, screen());
	assert.doesNotMatch(screen(), /did not match|not word #/);
	const pub = JSON.parse(readFileSync(join(dir, 'w', 'coldkeypub.txt'), 'utf8')) as {ss58Address: string};
	const opened = execFileSync(PYTHON!, [join(ROOT, 'scripts', 'open-coldkey.py'), join(dir, 'w', 'coldkey'), password], {encoding: 'utf8'}).trim();
	assert.equal(opened, pub.ss58Address);
});
