// Logs the product writes are capped and rotated: FILE, FILE.1, FILE.2 and nothing more.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {openRotatingLog} from '../../source/log-file.js';
import {runCli} from '../helpers/cli.js';

test('a rotating log keeps at most maxBytes per file and `keep` older files', () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-log-'));
	try {
		const path = join(dir, 'x.log');
		const log = openRotatingLog(path, 1000, 2);
		for (let i = 0; i < 100; i++) log.write(`line ${String(i).padStart(3, '0')} ${'.'.repeat(88)}\n`);
		log.close();
		assert.deepEqual(readdirSync(dir).sort(), ['x.log', 'x.log.1', 'x.log.2']);
		for (const name of readdirSync(dir)) assert.ok(statSync(join(dir, name)).size <= 1000, `${name} is ${statSync(join(dir, name)).size} bytes`);
		assert.match(readFileSync(path, 'utf8'), /line 099/);
		assert.match(readFileSync(`${path}.1`, 'utf8'), /line 08\d/);
		// Reopening continues the same file and still rotates at the cap.
		const again = openRotatingLog(path, 1000, 2);
		again.write(`${'x'.repeat(5000)}\n`); // one write larger than the cap is cut to it
		again.close();
		assert.ok(statSync(path).size <= 1000);
		assert.ok(!existsSync(`${path}.3`));
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('with IOTA_TUI_LOG_FILE the CLI writes its output into the capped log, not to the terminal', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-log-cli-'));
	try {
		const path = join(dir, 'devnet.log');
		const env = {IOTA_TUI_LOG_FILE: path, IOTA_TUI_LOG_MAX_BYTES: '8000'};
		for (let i = 0; i < 8; i++) {
			const r = await runCli(['devnet', '--help'], {env});
			assert.equal(r.code, 0);
			assert.equal(r.stdout, '');
		}
		const all = readdirSync(dir).sort();
		assert.deepEqual(all, ['devnet.log', 'devnet.log.1', 'devnet.log.2']);
		for (const name of all) assert.ok(statSync(join(dir, name)).size <= 8000);
		assert.match(readFileSync(path, 'utf8'), /--block-time/);
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});
