// `devnet --protocol current --miners 6 --headless --json`: the current orchestrator, its validator and
// six miners speaking the current protocol (own processes, own wallets); one NDJSON stream with
// batch, phase, merge_done (twice per layer), loss, score, p2p and upload events; SIGTERM stops all.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {QUICK_SETTINGS} from '../../source/devnet/current/settings.js';

type Ev = Record<string, unknown> & {event: string};

/** Small and quick, as in current-e2e.test.ts: [2, 32] batches, 2 chunks per layer. */
const SETTINGS = QUICK_SETTINGS;

test('devnet --protocol current --miners 6 --json streams batch, phase, merge_done x2 per layer, loss, score, p2p and upload events; SIGTERM stops all', async () => {
	const t0 = Date.now();
	const dir = mkdtempSync(join(tmpdir(), 'iota-dmc-'));
	const config = join(dir, 'current.json');
	writeFileSync(config, JSON.stringify(SETTINGS));
	const child = spawn(
		process.execPath,
		['--import', 'tsx', 'test/miner/cli-entry.ts', 'devnet', '--protocol', 'current', '--headless', '--json', '--port', '0', '--chain-port', '0', '--store-port', '0',
			'--data-dir', join(dir, 'data'), '--config', config, '--miners', '6', '--miner-backend', 'cpu'],
		{stdio: ['ignore', 'pipe', 'ignore'], env: {...process.env, IOTA_TUI_CONFIG_DIR: join(dir, 'config')}},
	);
	const events: Ev[] = [];
	const merges = (layer: number) => new Set(events.filter(e => e.event === 'merge_done' && e.layer === layer).map(e => e.epoch)).size;
	const need = () => [0, 1, 2].every(l => merges(l) >= 2) && ['devnet_ready', 'batch', 'phase', 'loss', 'score', 'p2p', 'upload'].every(k => events.some(e => e.event === k));
	try {
		const lines = createInterface({input: child.stdout!});
		const closed = new Promise<void>(resolve => lines.once('close', resolve));
		await new Promise<void>(resolve => {
			const safety = setTimeout(resolve, 540_000); // a hang fails below instead of never ending
			lines.on('line', line => {
				events.push(JSON.parse(line) as Ev);
				if (need()) {
					clearTimeout(safety);
					resolve();
				}
			});
			void closed.then(resolve);
		});
		console.log(`# devnet --protocol current --miners 6: ${Math.round((Date.now() - t0) / 1000)} s, merges per layer ${[0, 1, 2].map(merges).join('/')}, ${events.length} events`);
		assert.ok(need(), `missing events; saw ${[...new Set(events.map(e => e.event))].join(', ')}; merges per layer ${[0, 1, 2].map(merges).join('/')}`);
		const registered = events.filter(e => e.event === 'registered');
		assert.equal(new Set(registered.map(e => e.hotkey)).size, 6, 'six miners, six hotkeys');
		assert.deepEqual(new Set(registered.map(e => e.layer)), new Set([0, 1, 2]));
		assert.ok(events.some(e => e.event === 'log' && /validator: set weights/.test(String(e.line))) || events.some(e => e.event === 'score'), 'the validator ran');
		const first = (name: string) => events.find(e => e.event === name)!;
		const keys = (e: Ev, ks: string[]) => ks.every(k => k in e);
		assert.ok(keys(first('devnet_ready'), ['chain', 'store', 'orchestrator']));
		assert.ok(keys(first('batch'), ['hotkey', 'layer', 'direction']), JSON.stringify(first('batch')));
		assert.ok(keys(first('phase'), ['layer', 'phase']));
		assert.ok(keys(first('merge_done'), ['layer', 'epoch']));
		assert.ok(typeof first('loss').value === 'number');
		assert.ok(keys(first('score'), ['hotkey', 'score', 'incentive', 'emission', 'emulated']));
		assert.ok(events.some(e => e.event === 'score' && typeof e.score === 'number'), 'the devnet serves the current miners a score');
		const uploads = events.filter(e => e.event === 'upload');
		assert.ok(keys(uploads[0]!, ['hotkey', 'key', 'bytes', 'state', 'kind']), JSON.stringify(uploads[0]));
		for (const kind of ['weights', 'partition']) assert.ok(uploads.some(e => e.kind === kind && e.state === 'done'), `a ${kind} upload done`);
		const p2p = events.filter(e => e.event === 'p2p');
		assert.ok(keys(p2p[0]!, ['direction', 'peer', 'bytes', 'ms', 'hash_ok']), JSON.stringify(p2p[0]));
		assert.ok(p2p.every(e => e.hash_ok === true), 'every P2P transfer hash_ok');
		const exit = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
		child.kill('SIGTERM');
		assert.equal(await exit, 0);
		await closed;
		assert.equal(events.filter(e => e.event === 'stopped').length, 6, 'every miner stopped cleanly');
		assert.equal(events.at(-1)!.event, 'devnet_stopped');
	} finally {
		if (child.exitCode === null) child.kill('SIGKILL');
		rmSync(dir, {recursive: true, force: true});
	}
});
