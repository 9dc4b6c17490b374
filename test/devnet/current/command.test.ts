// `devnet --protocol current --json`: the current orchestrator (with /bridge) behind devnet_ready; v1
// setting flags it does not share are refused; SIGTERM stops everything with exit 0.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';

const cli = (dir: string, ...args: string[]) => [
	'--import', 'tsx', 'test/devnet/cli-entry.ts', 'devnet', '--headless', '--json', '--port', '0', '--chain-port', '0', '--store-port', '0', '--data-dir', dir, '--protocol', 'current', ...args,
];

test('devnet --protocol current serves the spec-30017 orchestrator and the bridge', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-cmd-current-'));
	const child = spawn(process.execPath, cli(dir, '--batches-before-merging', '3'), {stdio: ['ignore', 'pipe', 'inherit']});
	try {
		const lines: string[] = [];
		let ready: {orchestrator: string} | undefined;
		let settings: {run_id: string; batches_before_merging: number} | undefined;
		for await (const line of createInterface({input: child.stdout!})) {
			lines.push(line);
			const event = JSON.parse(line) as {event: string; settings?: typeof settings};
			if (event.event === 'devnet_ready') ready = event as never;
			if (event.event === 'devnet_settings') {
				settings = event.settings;
				break;
			}
		}
		assert.ok(ready && settings, `no devnet_ready/devnet_settings in:\n${lines.join('\n')}`);
		assert.deepEqual([settings.run_id, settings.batches_before_merging], ['devnet-run', 3]);
		assert.ok(lines.some(l => /current protocol, spec 30017/.test(l)));
		assert.deepEqual(await (await fetch(`${ready.orchestrator}/healthcheck`)).json(), {status: 'healthy'});
		assert.deepEqual(await (await fetch(`${ready.orchestrator}/bridge/vars?prefix=run-`)).json(), []);
		assert.equal((await fetch(`${ready.orchestrator}/orchestrator/healthcheck`)).status, 404, 'no v1 routes');
		const exit = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
		child.kill('SIGTERM');
		assert.equal(await exit, 0);
	} finally {
		if (child.exitCode === null) child.kill('SIGKILL');
		rmSync(dir, {recursive: true, force: true});
	}
});

test('devnet --protocol current refuses v1-only setting flags before starting anything', () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-cmd-current-'));
	try {
		const r = spawnSync(process.execPath, cli(dir, '--layers', '2'), {encoding: 'utf8', timeout: 60_000});
		// cli-entry.ts leaves the UserError uncaught (cli.tsx would exit 2 with its message).
		assert.notEqual(r.status, 0);
		assert.match(r.stderr, /UserError: --layers is a v1 orchestrator setting: not available with --protocol current/);
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});
