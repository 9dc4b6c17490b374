// The one parser for whole-number and decimal flags, and how a bad value reaches the user.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {InvalidArgumentError} from 'commander';
import {intArg, numberArg} from '../../source/cli/options.js';
import {runCli} from '../helpers/cli.js';

test('intArg takes digits within the range and refuses everything else', () => {
	const port = intArg(0, 65535);
	assert.equal(port('9944'), 9944);
	assert.equal(port('0'), 0);
	for (const bad of ['', ' ', '-1', '65536', '1.5', '1e3', '0x10', '12abc', 'NaN', 'Infinity']) {
		assert.throws(() => port(bad), (e: Error) => e instanceof InvalidArgumentError && e.message === 'expected a whole number 0-65535.', bad);
	}
	assert.throws(() => intArg(1)('0'), /expected a whole number >= 1\./);
});

test('numberArg: positive, non-negative and share', () => {
	assert.equal(numberArg('positive')('0.5'), 0.5);
	assert.throws(() => numberArg('positive')('0'), /expected a number > 0\./);
	assert.equal(numberArg('non-negative')('0'), 0);
	assert.throws(() => numberArg('non-negative')('-0.1'), /expected a number >= 0\./);
	assert.throws(() => numberArg('share')('1.01'), /between 0 and 1/);
	assert.throws(() => numberArg('share')(''), /not a number/);
});

test('every command reports a bad number as a usage error (exit 2) in one line', async () => {
	for (const args of [['status', '--netuid', '9x'], ['mine', '--health-port', '0'], ['devnet', '--block-time', '-5'], ['chain', '--port', '70000'], ['wallet', 'create', '--words', '13x']]) {
		const r = await runCli(args, {env: {HOME: '/nonexistent-home'}});
		assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
		assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
		assert.match(r.stderr, /argument '.*' is invalid\. expected/);
	}
});
