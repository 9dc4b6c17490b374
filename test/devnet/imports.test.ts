// The devnet's import rules: routes share devnet/core.ts, never server.ts (no import circle), and
// nothing under source/devnet reaches into the UI, CLI, setup or miner layers.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';

const dir = join(import.meta.dirname, '..', '..', 'source', 'devnet');
const files = readdirSync(dir).filter(f => f.endsWith('.ts'));
const importsOf = (f: string) => [...readFileSync(join(dir, f), 'utf8').matchAll(/from '([^']+)'/g)].map(m => m[1]!);

test('only devnet.ts imports server.ts; the routes import core.ts', () => {
	const importers = files.filter(f => importsOf(f).includes('./server.js'));
	assert.deepEqual(importers, ['devnet.ts']);
	for (const f of files.filter(f => f.startsWith('routes'))) assert.ok(!importsOf(f).includes('./server.js'), f);
});

test('source/devnet imports nothing from ui, cli, setup or miner', () => {
	for (const f of files.filter(f => f !== 'command.ts')) {
		const bad = importsOf(f).filter(p => /^\.\.\/(ui|cli|setup|miner)\//.test(p));
		assert.deepEqual(bad, [], f);
	}
});
