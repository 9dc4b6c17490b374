// The train command's options: bad input is a one-line UserError; --json prints NDJSON step lines.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Command, CommanderError} from 'commander';
import {addTrainCommand} from '../../source/cli/train.js';
import {UserError} from '../../source/errors.js';

const program = () => {
	const p = new Command('iota-tui').exitOverride().configureOutput({writeErr: () => {}});
	addTrainCommand(p);
	return p;
};
const run = (...args: string[]) => program().parseAsync(['node', 'iota-tui', 'train', ...args]);

test('train rejects bad options with clear one-line errors', async () => {
	const flagCases: Array<[string[], RegExp]> = [
		[['--steps', '0'], /^error: option '--steps <n>' argument '0' is invalid\. expected a whole number >= 1\.$/],
		[['--steps', 'x'], /^error: option '--steps <n>' argument 'x' is invalid\. expected a whole number >= 1\.$/],
		[['--lr', '-1'], /^error: option '--lr <x>' argument '-1' is invalid\. expected a number >= 0\.$/],
	];
	for (const [args, re] of flagCases) await assert.rejects(run(...args), (e: Error) => e instanceof CommanderError && e.exitCode !== 0 && re.test(e.message), args.join(' '));
	const cases: Array<[string[], RegExp]> = [
		[['--config', 'nope'], /^unknown config "nope" \(known: devnet, tiny, iota-1b, iota-15b\)$/],
		[['--backend', 'gpu'], /^unknown backend "gpu"/],
		[['--config', 'tiny', '--seq-len', '99'], /^--seq-len 99 exceeds config tiny's 16$/],
		[['--config', 'tiny', '--steps', '1', '--corpus', '/nonexistent/corpus'], /^corpus not found: \/nonexistent\/corpus/],
	];
	for (const [args, re] of cases) await assert.rejects(run(...args), (e: Error) => e instanceof UserError && re.test(e.message), args.join(' '));
});

test('train --json prints one {step, loss, tokens_per_s} object per line', async () => {
	const out: string[] = [];
	const write = process.stdout.write;
	const err = process.stderr.write;
	// Only our own lines: the test runner also writes to stdout.
	process.stdout.write = ((s: unknown, ...rest: any[]) => typeof s === 'string' && s.startsWith('{"step"') ? (out.push(s), true) : write.call(process.stdout, s as any, ...rest)) as any;
	process.stderr.write = (() => true) as any;
	try {
		await run('--config', 'tiny', '--steps', '3', '--json', '--backend', 'cpu', '--eval-every', '0');
	} finally {
		process.stdout.write = write;
		process.stderr.write = err;
	}
	const lines = out.join('').trim().split('\n').map(l => JSON.parse(l));
	assert.equal(lines.length, 3);
	lines.forEach((l, i) => {
		assert.equal(l.step, i + 1);
		assert.equal(typeof l.loss, 'number');
		assert.ok(l.tokens_per_s > 0);
	});
	assert.equal(typeof lines[2].heldout_loss, 'number');
});
