// The wizard's devnet autostart: without the chain spec it says so at once (one line, naming where
// it looked) instead of starting a background devnet that can only fail in its log.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {connectOrStartDevnet} from '../../source/chain/autostart.js';
import {UserError} from '../../source/errors.js';

const freePort = () => new Promise<number>(resolve => {
	const srv = createServer().listen(0, '127.0.0.1', () => {
		const {port} = srv.address() as {port: number};
		srv.close(() => resolve(port));
	});
});

test('no chain spec: a one-line error naming the paths tried, and nothing started', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-autostart-'));
	const saved = {spec: process.env.IOTA_CHAIN_SPEC, data: process.env.XDG_DATA_HOME};
	process.env.IOTA_CHAIN_SPEC = join(dir, 'missing-spec.json');
	process.env.XDG_DATA_HOME = join(dir, 'data');
	try {
		const url = `ws://127.0.0.1:${await freePort()}`;
		await assert.rejects(connectOrStartDevnet(url), (e: Error) =>
			e instanceof UserError && e.message.includes(`no chain spec found (from IOTA_CHAIN_SPEC; tried ${join(dir, 'missing-spec.json')})`) && !e.message.includes('\n'));
		assert.ok(!existsSync(join(dir, 'data', 'iota-tui', 'devnet.pid')), 'no background devnet was started');
	} finally {
		if (saved.spec === undefined) delete process.env.IOTA_CHAIN_SPEC; else process.env.IOTA_CHAIN_SPEC = saved.spec;
		if (saved.data === undefined) delete process.env.XDG_DATA_HOME; else process.env.XDG_DATA_HOME = saved.data;
		rmSync(dir, {recursive: true, force: true});
	}
});
