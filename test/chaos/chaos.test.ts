// The reduced chaos suite (`npm run chaos -- --reduced`): shorter outages on the same real devnet
// swarms. Every case must pass; a failed one names the checks that did not hold.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import type {ChaosRow} from '../../chaos/types.js';

const ROOT = join(import.meta.dirname, '..', '..');

test('chaos (reduced): chain drop, clock skew, orchestrator kills, store outage, miner kills and whole-swarm restarts on both protocols', async () => {
	const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'chaos.ts'), '--reduced'], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']});
	let err = '';
	child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
	child.stdout.pipe(process.stdout);
	const code = await new Promise<number | null>(resolve => child.once('exit', resolve));
	const rows = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'chaos-reduced.json'), 'utf8')) as ChaosRow[];
	const failed = rows.filter(r => r.result !== 'pass');
	assert.deepEqual(failed, [], err.split('\n').filter(l => l.includes('chaos:')).join('\n'));
	assert.ok(rows.length >= 7, `${rows.length} rows`);
	for (const r of rows) assert.ok(Object.keys(r.counts).length > 0, `${r.case} counted nothing`);
	assert.equal(code, 0);
});
