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
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {stdio: 'inherit'});
process.exit(r.status ?? 1);
