// `devnet --miners 3 --headless --json`: chain, store, orchestrator and 3 miner processes with
// their own wallets registered on the local chain; one NDJSON stream with the documented event
// shapes; SIGTERM stops the miners (each exits 0) and then the devnet.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';

type Ev = Record<string, unknown> & {event: string};

test('devnet --miners 3 --json streams batch, upload, phase, merge_done, loss and score events; SIGTERM stops all', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-dm-'));
	const child = spawn(
		process.execPath,
		['--import', 'tsx', 'test/miner/cli-entry.ts', 'devnet', '--protocol', 'v1', '--headless', '--json', '--port', '0', '--chain-port', '0', '--store-port', '0', '--data-dir', join(dir, 'data'),
			'--miners', '3', '--miner-model', 'tiny', '--miner-backend', 'cpu', '--batches-before-merging', '2', '--rate-limit', '50'],
		{stdio: ['ignore', 'pipe', 'ignore'], env: {...process.env, IOTA_TUI_CONFIG_DIR: join(dir, 'config')}},
	);
	const events: Ev[] = [];
	const need = () => {
		const layersMerged = new Set(events.filter(e => e.event === 'merge_done').map(e => e.layer));
		return layersMerged.size === 3 && ['batch', 'upload', 'phase', 'loss', 'score'].every(k => events.some(e => e.event === k));
	};
	try {
		const lines = createInterface({input: child.stdout!});
		const closed = new Promise<void>(resolve => lines.once('close', resolve));
		await new Promise<void>(resolve => {
			const safety = setTimeout(resolve, 240_000); // a hang fails below instead of never ending
			lines.on('line', line => {
				events.push(JSON.parse(line) as Ev);
				if (need()) {
					clearTimeout(safety);
					resolve();
				}
			});
			void closed.then(resolve);
		});
		assert.ok(need(), `missing events; saw ${[...new Set(events.map(e => e.event))].join(', ')}`);
		const hotkeys = new Set(events.filter(e => e.event === 'registered').map(e => e.hotkey));
		assert.equal(hotkeys.size, 3, 'three miners, three hotkeys');
		assert.deepEqual(new Set(events.filter(e => e.event === 'registered').map(e => e.layer)), new Set([0, 1, 2]));
		const first = (name: string) => events.find(e => e.event === name)!;
		const keys = (e: Ev, ks: string[]) => ks.every(k => k in e);
		assert.ok(keys(first('batch'), ['hotkey', 'layer', 'direction', 'backwards_since_merge', 'batches_before_merging']), JSON.stringify(first('batch')));
		assert.ok(keys(first('upload'), ['hotkey', 'key', 'bytes', 'state']));
		assert.ok(keys(first('phase'), ['layer', 'phase']));
		assert.ok(keys(first('merge_done'), ['layer', 'epoch']));
		assert.ok(typeof first('loss').value === 'number');
		assert.ok(keys(first('score'), ['hotkey', 'score', 'incentive']));
		const exit = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
		child.kill('SIGTERM');
		assert.equal(await exit, 0);
		await closed;
		assert.equal(events.filter(e => e.event === 'stopped').length, 3, 'every miner stopped cleanly');
		assert.equal(events.filter(e => e.event === 'log' && /exited with code 0/.test(String(e.line))).length, 3);
		assert.equal(events.at(-1)!.event, 'devnet_stopped');
	} finally {
		if (child.exitCode === null) child.kill('SIGKILL');
		rmSync(dir, {recursive: true, force: true});
	}
});
