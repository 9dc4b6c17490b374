// startDashboard end to end on fake TTY streams: alternate screen in and out, q then y resolves
// only after onQuit has finished, and the screen is restored when onQuit fails.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {startDashboard} from '../../source/ui/dashboard/index.js';
import {loadTheme} from '../../source/ui/theme.js';
import {trainingStore} from './fixtures.js';
import {tick, waitFor} from './render.js';
import {FakeStdin, FakeStdout} from './fake-tty.js';

const ENTER_ALT = '\u001B[?1049h';
const LEAVE_ALT = '\u001B[?1049l';

function run(onQuit: () => Promise<void>) {
	const stdout = new FakeStdout();
	const stdin = new FakeStdin();
	const done = startDashboard(trainingStore(), {
		theme: loadTheme('none', {}),
		onQuit,
		stdout: stdout as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream,
	});
	return {stdout, stdin, done};
}

test('alternate screen on start, q y resolves after onQuit, screen restored', async () => {
	let release!: () => void;
	let calls = 0;
	const {stdout, stdin, done} = run(() => {
		calls++;
		return new Promise<void>(resolve => (release = resolve));
	});
	const sigterm = process.listenerCount('SIGTERM');
	let resolved = false;
	void done.then(() => (resolved = true));
	await waitFor(() => stdout.out, /Batches toward merge/);
	assert.ok(stdout.out.startsWith(ENTER_ALT), 'enters the alternate screen first');
	while (stdin.listenerCount('readable') === 0) await tick(10);
	stdin.press('q');
	await waitFor(() => stdout.out, /Quit the miner\?/);
	stdin.press('y');
	await waitFor(() => stdout.out, /Stopping the miner/);
	assert.equal(calls, 1);
	await tick(50);
	assert.equal(resolved, false, 'still running while onQuit works');
	assert.ok(!stdout.out.includes(LEAVE_ALT));
	release();
	await done;
	assert.ok(stdout.out.lastIndexOf(LEAVE_ALT) > stdout.out.lastIndexOf('Stopping'), 'leaves the alternate screen at the end');
	assert.equal(process.listenerCount('SIGTERM'), sigterm - 1, 'signal handlers removed');
});

test('a failing onQuit still restores the screen and rejects', async () => {
	const {stdout, stdin, done} = run(async () => {
		throw new Error('stop failed');
	});
	await waitFor(() => stdout.out, /Batches toward merge/);
	while (stdin.listenerCount('readable') === 0) await tick(10);
	stdin.press('q');
	await waitFor(() => stdout.out, /Quit the miner\?/);
	stdin.press('y');
	await assert.rejects(done, /stop failed/);
	assert.ok(stdout.out.includes(LEAVE_ALT));
});

test('SIGTERM stops through onQuit and restores the screen', async () => {
	let calls = 0;
	const {stdout, done} = run(async () => void calls++);
	await waitFor(() => stdout.out, /Batches toward merge/);
	process.emit('SIGTERM', 'SIGTERM');
	await done;
	assert.equal(calls, 1);
	assert.ok(stdout.out.includes(LEAVE_ALT));
});
