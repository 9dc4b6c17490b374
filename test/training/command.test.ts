// The train command's options: bad input is a one-line UserError; the built CLI prints its step lines (--json: NDJSON)
// and trains the whole Llama-3 model: the held-out loss falls.
import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import {test} from 'node:test';
import {Command, CommanderError} from 'commander';
import {addTrainCommand} from '../../source/cli/train.js';
import {UserError} from '../../source/errors.js';
import {DEFAULT_CORPUS} from '../../source/training/data.js';
import {runCli} from '../helpers/cli.js';

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
		[['--threads', '0'], /^error: option '--threads <n>' argument '0' is invalid\. expected a whole number 1-8\.$/],
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

test('the built CLI: train --json prints one {step, loss, tokens_per_s[, heldout_loss]} line per step and the held-out loss falls', {skip: !existsSync(DEFAULT_CORPUS) && 'no /usr/share/common-licenses'}, async () => {
	const r = await runCli(['train', '--config', 'tiny', '--steps', '30', '--json', '--backend', 'wasm', '--eval-every', '10']);
	assert.equal(r.code, 0, r.stderr);
	const lines = r.stdout.trim().split('\n').map(l => JSON.parse(l));
	assert.equal(lines.length, 30);
	lines.forEach((l, i) => {
		assert.deepEqual(Object.keys(l), (i + 1) % 10 === 0 ? ['step', 'loss', 'tokens_per_s', 'heldout_loss'] : ['step', 'loss', 'tokens_per_s']);
		assert.equal(l.step, i + 1);
		assert.ok(Number.isFinite(l.loss) && l.tokens_per_s > 0, JSON.stringify(l));
	});
	const held = lines.filter(l => 'heldout_loss' in l).map(l => l.heldout_loss as number);
	// stderr says where it started: about ln(257) = 5.55 untrained.
	const m = /held-out loss (\d+\.\d+) -> (\d+\.\d+) after 30 steps/.exec(r.stderr);
	assert.ok(m, r.stderr);
	const [before, after] = [Number(m[1]), Number(m[2])];
	assert.ok(Math.abs(before - Math.log(257)) < 0.25, `initial held-out loss ${before}`);
	assert.equal(after.toFixed(4), held.at(-1)!.toFixed(4));
	assert.ok(held[0]! < before && held.at(-1)! < held[0]!, `held-out loss ${before} -> ${held.join(' -> ')}`);
	assert.ok(after < before - 1, `held-out loss ${before} -> ${after}`);
	assert.match(r.stderr, /^model: tiny, [\d,]+ parameters, 3 stages, batch 2x16, tokenizer bytes$/m);
});

test('the built CLI: readable step lines without --json; --threads reaches the training worker', {skip: !existsSync(DEFAULT_CORPUS) && 'no /usr/share/common-licenses'}, async () => {
	const r = await runCli(['train', '--config', 'tiny', '--steps', '2', '--backend', 'wasm', '--threads', '2', '--eval-every', '0']);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stderr, /^backend: wasm \(SIMD, 2 threads, rows split\)$/m);
	const lines = r.stdout.trim().split('\n');
	assert.equal(lines.length, 2);
	assert.match(lines[0]!, /^step {5}1 {2}loss \d+\.\d{4} {2}\d+ tok\/s$/);
	assert.match(lines[1]!, /^step {5}2 {2}loss \d+\.\d{4} {2}\d+ tok\/s {2}held-out \d+\.\d{4}$/);
});
