// The shipped CLI must not run React's development build: it adds a performance.measure entry
// per component render and never clears them (CI once logged over a million in one process).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const child = fileURLToPath(new URL('measure-child.ts', import.meta.url));
const run = (mode: string) => {
	const env = {...process.env};
	delete env.NODE_ENV;
	const out = execFileSync(process.execPath, ['--import', 'tsx', child, mode], {env, encoding: 'utf8', timeout: 60_000});
	return JSON.parse(out.trim().split('\n').at(-1)!) as {nodeEnv: string | null; frames: number; measures: number};
};

test('the dashboard leaves no performance entries once production.ts has run', () => {
	const dev = run('development');
	assert.equal(dev.nodeEnv, null);
	assert.ok(dev.frames > 0, 'the dashboard drew');
	// On Node 20 React's development build left a measure per render; on Node 24 it may report through
	// console.timeStamp instead, so dev is not asserted on. Production must leave none either way.
	const prod = run('production');
	assert.equal(prod.nodeEnv, 'production');
	assert.ok(prod.frames > 0, 'the dashboard drew');
	assert.equal(prod.measures, 0);
});

test('cli.tsx imports production.ts before anything else', () => {
	const cli = readFileSync(fileURLToPath(new URL('../../cli.tsx', import.meta.url)), 'utf8');
	const first = cli.split('\n').find(line => line.startsWith('import '));
	assert.match(first ?? '', /^import '\.\/source\/production\.js';/);
});
