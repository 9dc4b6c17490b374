#!/usr/bin/env node
// Collects test files (Node 20's --test has no glob support) and runs them with tsx.
// Usage: node scripts/run-tests.mjs [substring filters...]
import {readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {spawnSync} from 'node:child_process';

const walk = dir => readdirSync(dir).flatMap(name => {
	const path = join(dir, name);
	return statSync(path).isDirectory() ? walk(path) : [path];
});
const filters = process.argv.slice(2);
const files = walk('test')
	.filter(f => /\.test\.tsx?$/.test(f))
	.filter(f => filters.length === 0 || filters.some(x => f.includes(x)))
	.sort();
if (files.length === 0) {
	console.error('no test files matched');
	process.exit(1);
}
// Ink draws only the last frame when CI is set (is-in-ci), so the terminal tests would see blank
// screens on CI machines only; the CLI's own CI handling is tested with CI set explicitly.
const env = {...process.env};
delete env.CI;
delete env.CONTINUOUS_INTEGRATION;
// A hung test (or test file) fails after 15 minutes, and a file that leaves handles open still ends, so one
// stuck test can never eat the whole CI budget.
const perTestMs = Number(process.env.IOTA_TEST_TIMEOUT_MS ?? 900_000);
const wholeRunMs = 75 * 60_000;
const r = spawnSync(
	process.execPath,
	['--import', 'tsx', '--test', '--test-concurrency=1', '--test-force-exit', `--test-timeout=${perTestMs}`, ...files],
	{stdio: 'inherit', env, timeout: wholeRunMs, killSignal: 'SIGKILL'},
);
if (r.error) console.error(`run-tests: ${r.error.message} (the whole run is capped at ${wholeRunMs / 60_000} min)`);
process.exit(r.status ?? 1);
