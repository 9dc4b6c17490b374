// `iota-tui doctor --json` as a user runs it, against a real in-process devnet (chain, store, current
// orchestrator): blocking exit 1 while the hotkey is unregistered, exit 0 once it is.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {startDevnet, type CurrentDevnet} from '../../source/devnet/devnet.js';
import {connectChain} from '../../source/chain/client.js';
import {createWallet, loadColdkeyPair} from '../../source/wallet/wallet.js';
import {newMnemonic, ready} from '../../source/wallet/keys.js';
import {runCli} from '../helpers/cli.js';

type Row = {name: string; ok: boolean; detail: string; fix: string | null};

let dir: string;
let devnet: CurrentDevnet;
const ref = () => ({path: join(dir, 'wallets'), name: 'doc', hotkey: 'h'});

before(async () => {
	await ready();
	dir = mkdtempSync(join(tmpdir(), 'iota-doctor-devnet-'));
	devnet = await startDevnet({protocol: 'current', dataDir: join(dir, 'devnet'), validator: false});
	await createWallet({...ref(), password: 'doctor pw', coldkeyMnemonic: newMnemonic(), hotkeyMnemonic: newMnemonic()});
});
after(async () => {
	await devnet?.close();
	rmSync(dir, {recursive: true, force: true});
});

async function doctor(): Promise<{code: number | null; rows: Map<string, Row>; list: Row[]}> {
	const r = await runCli([
		'--config-dir', join(dir, 'config'), 'doctor', '--json', '--network', devnet.chain, '--orchestrator', devnet.orchestrator, '--store', devnet.store,
		'--wallet-path', ref().path, '--wallet', ref().name, '--hotkey', ref().hotkey, '--data-dir', join(dir, 'miner'), '--backend', 'cpu',
	], {timeoutMs: 90_000});
	assert.ok(r.stdout.trim(), `no JSON on stdout (exit ${r.code}): ${r.stderr}`);
	const parsed = JSON.parse(r.stdout) as {checks: Row[]};
	assert.deepEqual(Object.keys(parsed), ['checks']);
	for (const row of parsed.checks) assert.deepEqual(Object.keys(row), ['name', 'ok', 'detail', 'fix'], JSON.stringify(row));
	return {code: r.code, rows: new Map(parsed.checks.map(c => [c.name, c])), list: parsed.checks};
}

test('doctor against the devnet: unregistered hotkey exits 1 naming `iota-tui register`; registered exits 0', async () => {
	const first = await doctor();
	const row = (name: string) => first.rows.get(name)!;
	for (const name of ['node_version', 'chain', 'orchestrator', 'object_store', 'clock_chain', 'clock_orchestrator', 'wallet', 'wallet_modes', 'iroh']) {
		assert.equal(row(name).ok, true, `${name}: ${row(name).detail}`);
		assert.equal(row(name).fix, null);
	}
	assert.match(row('chain').detail, /answered in \d+ ms \(connect \d+ ms\)/);
	assert.match(row('orchestrator').detail, /\/healthcheck answered 200 in \d+ ms/);
	assert.equal(row('registration').ok, false);
	assert.match(row('registration').fix!, /iota-tui register/);
	assert.equal(first.code, 1);

	const chain = await connectChain(devnet.chain);
	try {
		const coldkey = await loadColdkeyPair(ref(), 'doctor pw');
		await chain.fundFromFaucet(coldkey.address);
		const hotkey = first.rows.get('wallet')!.detail.match(/hotkey (5\w+)/)![1]!;
		await chain.burnedRegister(coldkey, hotkey, devnet.netuid);
	} finally {
		await chain.close();
	}
	const second = await doctor();
	assert.equal(second.rows.get('registration')!.ok, true, second.rows.get('registration')!.detail);
	assert.match(second.rows.get('registration')!.detail, /is uid \d+ on subnet 9/);
	assert.equal(second.code, 0, JSON.stringify(second.list.filter(c => !c.ok)));
});
