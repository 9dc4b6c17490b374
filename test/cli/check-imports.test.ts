// scripts/check-imports.mjs: layer rules and import circles, on a made-up tree and on source/.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {ROOT} from '../helpers/cli.js';

const check = (dir: string) => spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-imports.mjs'), '--json', dir], {cwd: ROOT, encoding: 'utf8'});

test('a domain importing ui/, miner/ importing cli/, and a circle are all reported', () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-imports-'));
	try {
		const put = (path: string, text: string) => {
			mkdirSync(join(dir, path, '..'), {recursive: true});
			writeFileSync(join(dir, path), text);
		};
		put('ui/view.tsx', "import {x} from '../miner/types.js';\nexport const v = x;\n");
		put('miner/types.ts', 'export const x = 1;\n');
		put('chain/client.ts', "import {v} from '../ui/view.js';\nexport const c = v;\n");
		put('miner/run.ts', "const m = await import('../cli/mine.js');\nexport const r = m;\n");
		put('cli/mine.ts', "import {c} from '../chain/client.js';\nexport const y = c;\n");
		put('devnet/a.ts', "import {b} from './b.js';\nexport const a = b;\n");
		put('devnet/b.ts', "import type {a} from './a.js';\nexport const b = 2;\n");
		const r = check(dir);
		assert.equal(r.status, 1);
		const out = JSON.parse(r.stdout) as {violations: {file: string; rule: string}[]; circles: string[][]};
		assert.deepEqual(out.violations.map(v => v.rule).sort(), ['chain must not import ui/', 'miner must not import cli/']);
		assert.equal(out.circles.length, 1);
		assert.deepEqual(out.circles[0]!.map(f => f.split('/').slice(-2).join('/')), ['devnet/a.ts', 'devnet/b.ts']);
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('source/ keeps the layer rules and has no import circle', () => {
	const r = check('source');
	const out = JSON.parse(r.stdout) as {files: number; violations: unknown[]; circles: unknown[]};
	assert.ok(out.files > 50);
	assert.deepEqual(out.violations, []);
	assert.deepEqual(out.circles, []);
	assert.equal(r.status, 0);
});
