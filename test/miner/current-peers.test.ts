// The current adapter's peer registry (source/miner/current/peers.ts) against the devnet's bridge v2:
// entries seen by layer, keepalives, stale entries evicted, and a restarted miner taking its entry back.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {PeerRegistry, registryPrefix, type RegistryOptions} from '../../source/miner/current/peers.js';
import {startCurrentEnv, type CurrentEnv} from '../devnet/current/helpers.js';

let env: CurrentEnv;
const stop = new AbortController();
const open: PeerRegistry[] = [];

before(async () => {
	env = await startCurrentEnv({hotkeys: 0, chain: false});
});
after(async () => {
	stop.abort();
	for (const r of open) r.close();
	await env?.close();
});

const registry = (hotkey: string, layer: number, o: Partial<RegistryOptions> = {}) => {
	const r = new PeerRegistry({
		url: `${env.devnet.orchestrator}/bridge`,
		runId: 'devnet-run',
		hotkey,
		layer,
		self: () => ({nodeId: `node-${hotkey}`, directAddresses: [`127.0.0.1:${1000 + layer}`], relayUrl: null}),
		signal: stop.signal,
		log: () => {},
		keepaliveMs: 100,
		pullMs: 100,
		...o,
	});
	open.push(r);
	return r;
};

test('miners see each other by layer with their node ids and addresses, never themselves', async () => {
	const a = registry('hotkey-a', 0);
	const b = registry('hotkey-b', 1);
	await a.start();
	await b.start();
	await a.pull();
	assert.deepEqual(a.inLayer(1).map(p => [p.hotkey, p.nodeId, p.addr.directAddresses]), [['hotkey-b', 'node-hotkey-b', ['127.0.0.1:1001']]]);
	assert.deepEqual(a.inLayer(0), [], 'its own entry is left out');
	assert.equal(b.byNodeId('node-hotkey-a')?.layer, 0);
	const vars = env.devnet.server.bridge.list(registryPrefix('devnet-run')).map(v => v.var_id);
	assert.ok(vars.includes('run-devnet-run/node_registry/hotkey-a/groups') && vars.includes('run-devnet-run/node_registry/hotkey-b/last_keepalive'));
});

test('keepalives move on; an entry silent for over 300 s is evicted', async () => {
	const stale = registry('hotkey-old', 1, {now: () => Date.now() - 400_000, keepaliveMs: 60_000});
	await stale.start();
	const c = registry('hotkey-c', 2);
	await c.start();
	await c.pull();
	assert.ok(c.inLayer(1).some(p => p.hotkey === 'hotkey-b'));
	assert.ok(!c.peers().some(p => p.hotkey === 'hotkey-old'), 'the stale entry is evicted');
	const before = c.byNodeId('node-hotkey-b')!.lastKeepalive;
	await new Promise(r => setTimeout(r, 400));
	await c.pull();
	assert.ok(c.byNodeId('node-hotkey-b')!.lastKeepalive > before, 'keepalive written every interval');
});

test('a restarted miner (same hotkey, new layer) takes its entry back despite the CAS versions', async () => {
	const again = registry('hotkey-a', 2);
	await again.start();
	const c = registry('hotkey-d', 0);
	await c.start();
	await c.pull();
	assert.equal(c.byNodeId('node-hotkey-a')?.layer, 2);
});

test('an entry the registry swept (idle variables go after an hour) is whole again at the next keepalive', async () => {
	const d = registry('hotkey-swept', 1);
	await d.start();
	const base = `${env.devnet.orchestrator}/bridge`;
	const post = (path: string, body: unknown) => fetch(`${base}${path}`, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)}).then(r => r.json() as Promise<any>);
	const ids = ((await (await fetch(`${base}/vars?prefix=${encodeURIComponent(`${registryPrefix('devnet-run')}hotkey-swept/`)}`)).json()) as {var_id: string}[]).map(v => v.var_id);
	assert.equal(ids.length, 8, 'one variable per field');
	// What the sweep does to variables nobody wrote for bridge_idle_ttl_s: node_id and groups were written once, at start.
	await post('/delete', {var_ids: ids.filter(id => !/last_keepalive|iroh_/.test(id))});
	const e = registry('hotkey-e', 2);
	await e.start();
	await e.pull();
	assert.ok(!e.inLayer(1).some(p => p.hotkey === 'hotkey-swept'), 'without its node id it is no peer');
	await new Promise(r => setTimeout(r, 500));
	await e.pull();
	assert.ok(e.inLayer(1).some(p => p.hotkey === 'hotkey-swept' && p.nodeId === 'node-hotkey-swept'), 'registered again by its keepalive');
});
