// `devnet --headless --json`: NDJSON with devnet_ready once chain, store and orchestrator accept
// connections; SIGTERM stops all three and the process exits 0.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {connect} from 'node:net';

test('devnet --headless --json prints devnet_ready and stops on SIGTERM with exit 0', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-cmd-'));
	const child = spawn(process.execPath, ['--import', 'tsx', 'test/devnet/cli-entry.ts', 'devnet', '--headless', '--json', '--port', '0', '--chain-port', '0', '--store-port', '0', '--data-dir', dir, '--protocol', 'v1', '--layers', '2'], {stdio: ['ignore', 'pipe', 'inherit']});
	try {
		const lines: string[] = [];
		let ready: {chain: string; store: string; orchestrator: string} | undefined;
		for await (const line of createInterface({input: child.stdout!})) {
			lines.push(line);
			const event = JSON.parse(line) as {event: string};
			if (event.event === 'devnet_ready') {
				assert.match(line, /^\{"event": "devnet_ready", "chain": "ws:\/\/127\.0\.0\.1:\d+", "store": "http:\/\/127\.0\.0\.1:\d+", "orchestrator": "http:\/\/127\.0\.0\.1:\d+"\}$/);
				ready = event as never;
				break;
			}
		}
		assert.ok(ready, `no devnet_ready in:\n${lines.join('\n')}`);
		assert.deepEqual(await (await fetch(`${ready.orchestrator}/orchestrator/healthcheck`)).json(), {status: 'healthy'});
		assert.equal((await fetch(`${ready.orchestrator}/orchestrator/settings`).then(r => r.json()) as {layers: number}).layers, 2);
		assert.equal((await fetch(`${ready.store}/`)).status, 403, 'the store answers and refuses anonymous requests');
		await new Promise<void>((resolve, reject) => {
			const u = new URL(ready!.chain);
			const socket = connect(Number(u.port), u.hostname, () => {
				socket.end();
				resolve();
			});
			socket.once('error', reject);
		});
		const exit = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
		child.kill('SIGTERM');
		assert.equal(await exit, 0);
		await assert.rejects(fetch(`${ready.orchestrator}/orchestrator/healthcheck`));
	} finally {
		if (child.exitCode === null) child.kill('SIGKILL');
		rmSync(dir, {recursive: true, force: true});
	}
});
