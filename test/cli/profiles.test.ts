// Network profiles: which orchestrator and miner protocol each --network value means, what the
// flags and config keys override, the devnet probe, and `mine --protocol` on the command line.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {mkdtempSync, rmSync, writeFileSync, mkdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {DEVNET_ORCHESTRATOR, isLoopbackUrl, probeDevnetProtocol, resolveProfile} from '../../source/chain/networks.js';
import {resolveMinerProfile} from '../../source/cli/profiles.js';
import {configSchema} from '../../source/config.js';
import {runCli} from '../helpers/cli.js';

const cfg = (over: Record<string, unknown> = {}) => configSchema.parse(over);
const noProbe = async () => {
	throw new Error('probed a network that is not the devnet');
};

test('finney and test: Macrocosmos orchestrators over the current protocol, never a devnet URL, devnetOnly false', async () => {
	const want = {finney: 'https://iota.api.macrocosmos.ai', test: 'https://iota-branch-main.api.macrocosmos.ai'};
	for (const [name, url] of Object.entries(want)) {
		for (const protocol of [undefined, 'current', 'v1'] as const) {
			const p = resolveProfile(name, {protocol});
			assert.equal(p.orchestratorUrl, url, name);
			assert.equal(p.protocol, protocol ?? 'current');
			assert.equal(p.devnetOnly, false, `${name} must never call devnet-only endpoints`);
			assert.equal(p.local, false);
			assert.ok(!isLoopbackUrl(p.orchestratorUrl!) && !p.orchestratorUrl!.includes(':8010'), p.orchestratorUrl!);
			assert.match(p.url, /^wss:\/\/.*opentensor\.ai:443$/);
		}
		// Through the CLI's resolution too, with a devnet chain URL in the config: it is not consulted.
		const viaCli = await resolveMinerProfile({network: name}, cfg({endpoints: {devnet: 'ws://127.0.0.1:9944'}}), noProbe);
		assert.deepEqual([viaCli.orchestratorUrl, viaCli.protocol, viaCli.devnetOnly], [url, 'current', false]);
	}
	// Even an explicit loopback orchestrator on finney does not make devnet-only endpoints callable.
	assert.equal(resolveProfile('finney', {orchestrator: DEVNET_ORCHESTRATOR}).devnetOnly, false);
});

test('devnet: the local orchestrator, the devnet default protocol (current), devnetOnly true', () => {
	for (const value of ['devnet', 'local', 'ws://127.0.0.1:9944', 'ws://localhost:9955']) {
		const p = resolveProfile(value);
		assert.equal(p.name, 'devnet');
		assert.equal(p.orchestratorUrl, 'http://127.0.0.1:8010');
		assert.equal(p.protocol, 'current');
		assert.equal(p.devnetOnly, true, value);
	}
	assert.equal(resolveProfile('devnet', {protocol: 'v1'}).protocol, 'v1');
	// Pointed at a remote orchestrator, the devnet's own endpoints are not there.
	assert.equal(resolveProfile('devnet', {orchestrator: 'https://orch.example.org'}).devnetOnly, false);
});

test('a remote ws:// URL: no orchestrator of its own, protocol current unless overridden', () => {
	const p = resolveProfile('wss://chain.example.org:443');
	assert.deepEqual([p.name, p.orchestratorUrl, p.protocol, p.devnetOnly], ['custom', null, 'current', false]);
	const q = resolveProfile('wss://chain.example.org:443', {protocol: 'v1', orchestrator: 'https://orch.example.org'});
	assert.deepEqual([q.orchestratorUrl, q.protocol, q.protocolFrom, q.devnetOnly], ['https://orch.example.org', 'v1', 'flag', false]);
});

test('flags win over config keys, config keys over the network; the devnet is asked only when nothing names the protocol', async () => {
	const probed: string[] = [];
	const probe = async (url: string) => (probed.push(url), 'current' as const);
	const fromConfig = await resolveMinerProfile({network: 'finney'}, cfg({endpoints: {protocol: 'v1', orchestrator: 'https://mirror.example.org'}}), noProbe);
	assert.deepEqual([fromConfig.orchestratorUrl, fromConfig.protocol, fromConfig.protocolFrom], ['https://mirror.example.org', 'v1', 'config']);
	const fromFlags = await resolveMinerProfile({network: 'finney', protocol: 'current', orchestrator: 'https://other.example.org'}, cfg({endpoints: {protocol: 'v1', orchestrator: 'https://mirror.example.org'}}), noProbe);
	assert.deepEqual([fromFlags.orchestratorUrl, fromFlags.protocol, fromFlags.protocolFrom], ['https://other.example.org', 'current', 'flag']);
	// The config network is the default network.
	assert.equal((await resolveMinerProfile({}, cfg({network: 'test'}), noProbe)).orchestratorUrl, 'https://iota-branch-main.api.macrocosmos.ai');

	assert.equal((await resolveMinerProfile({network: 'devnet'}, cfg(), probe)).protocol, 'current', 'the devnet says what it serves');
	assert.deepEqual(probed, ['http://127.0.0.1:8010']);
	assert.equal((await resolveMinerProfile({network: 'devnet', protocol: 'v1'}, cfg(), noProbe)).protocol, 'v1');
	assert.equal((await resolveMinerProfile({network: 'devnet'}, cfg({endpoints: {protocol: 'v1'}}), noProbe)).protocol, 'v1');
	assert.equal((await resolveMinerProfile({network: 'devnet'}, cfg(), async () => null)).protocol, 'current', 'no answer: the devnet default');
});

test('config: endpoints.protocol is current or v1; the existing keys still parse', () => {
	assert.equal(cfg({endpoints: {protocol: 'current'}}).endpoints.protocol, 'current');
	assert.equal(configSchema.safeParse({endpoints: {protocol: 'v2'}}).success, false);
	const old = cfg({network: 'finney', endpoints: {devnet: 'ws://127.0.0.1:9944', orchestrator: 'http://127.0.0.1:8010', bucket: 'b'}});
	assert.equal(old.endpoints.protocol, undefined);
});

let servers: Server[] = [];
after(() => Promise.all(servers.map(s => new Promise(r => s.close(r)))));

async function serve(paths: string[]): Promise<string> {
	const server = createServer((req, res) => {
		res.writeHead(paths.includes(req.url ?? '') ? 200 : 404, {'content-type': 'application/json'});
		res.end('{}');
	});
	servers.push(server);
	await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
	return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('probeDevnetProtocol: v1 answers /orchestrator/settings, current /healthcheck; silence and remote hosts are null', async () => {
	assert.equal(await probeDevnetProtocol(await serve(['/orchestrator/settings', '/orchestrator/healthcheck'])), 'v1');
	assert.equal(await probeDevnetProtocol(`${await serve(['/healthcheck'])}/`), 'current');
	assert.equal(await probeDevnetProtocol(await serve([])), null);
	const closed = await serve([]);
	await new Promise(r => servers.pop()!.close(r));
	assert.equal(await probeDevnetProtocol(closed), null);
	assert.equal(await probeDevnetProtocol('https://iota.api.macrocosmos.ai'), null, 'never probes a remote orchestrator');
});

let dir: string;
let env: NodeJS.ProcessEnv;
before(() => {
	dir = mkdtempSync(join(tmpdir(), 'iota-profiles-'));
	env = {IOTA_TUI_CONFIG_DIR: join(dir, 'config'), HOME: dir};
});
after(() => rmSync(dir, {recursive: true, force: true}));

test('mine --protocol: a bad value is a one-line usage error; a remote ws:// URL needs --orchestrator', async () => {
	const bad = await runCli(['mine', '--protocol', 'v2'], {env});
	assert.equal(bad.code, 2, bad.stderr);
	assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
	assert.match(bad.stderr, /--protocol.*v2.*current, v1/);
	const help = await runCli(['mine', '--help'], {env});
	assert.match(help.stdout, /--protocol <name>/);
	const custom = await runCli(['mine', '--network', 'wss://chain.example.org', '--protocol', 'v1'], {env});
	assert.equal(custom.code, 2, custom.stderr);
	assert.match(custom.stderr, /^error: no orchestrator URL for network custom \(wss:\/\/chain\.example\.org\): pass --orchestrator URL\n$/);
	mkdirSync(join(dir, 'config'), {recursive: true});
	writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify({endpoints: {protocol: 'v3'}}));
	const badConfig = await runCli(['mine'], {env});
	assert.equal(badConfig.code, 1, badConfig.stderr);
	assert.match(badConfig.stderr, /bad value for "endpoints\.protocol"/);
});
