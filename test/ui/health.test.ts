// /health over real HTTP, and the status file: atomic snapshot, updates, round trip, staleness.
import {test, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {spawnSync} from 'node:child_process';
import {readStatusFile, startHealthServer, writeStatusFile} from '../../source/ui/health.js';
import {createMinerStore} from '../../source/miner/store.js';
import {HOTKEY, T0, trainingStore} from './fixtures.js';
import {tick} from './render.js';

const dir = mkdtempSync(join(tmpdir(), 'iota-ui-health-'));
after(() => rmSync(dir, {recursive: true, force: true}));

test('/health answers like IOTA: {status, hotkey, layer, uid, registered, timestamp}', async () => {
	const store = trainingStore();
	const server = await startHealthServer(store, {port: 0});
	try {
		assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/health$/);
		const res = await fetch(server.url);
		assert.equal(res.status, 200);
		assert.match(res.headers.get('content-type') ?? '', /application\/json/);
		const body = (await res.json()) as Record<string, unknown>;
		assert.deepEqual(Object.keys(body).sort(), ['hotkey', 'layer', 'registered', 'status', 'timestamp', 'uid']);
		assert.deepEqual({...body, timestamp: undefined}, {status: 'healthy', hotkey: HOTKEY, layer: 1, uid: 3, registered: true, timestamp: undefined});
		assert.ok(Math.abs(Date.parse(String(body.timestamp)) - Date.now()) < 5000);

		assert.equal((await fetch(server.url.replace('/health', '/nope'))).status, 404);
		assert.equal((await fetch(server.url, {method: 'POST'})).status, 405);

		store.dispatch({type: 'deregistered', uid: 3, block: 40, auto: false, at: T0});
		const lost = await fetch(server.url);
		assert.equal(lost.status, 503);
		assert.deepEqual({...((await lost.json()) as Record<string, unknown>), timestamp: undefined}, {status: 'unhealthy', hotkey: HOTKEY, layer: 1, uid: null, registered: false, timestamp: undefined});
		store.dispatch({type: 'chain_registered', uid: 2, again: {burnRao: '1', block: 41, at: T0}});
		store.dispatch({type: 'registered', layer: 1, version: 'v', at: T0});
		assert.equal((await fetch(server.url)).status, 200);

		store.dispatch({type: 'error', message: 'orchestrator gone', fatal: true, at: T0});
		const sick = await fetch(server.url);
		assert.equal(sick.status, 503);
		assert.equal(((await sick.json()) as {status: string}).status, 'unhealthy');
	} finally {
		await server.close();
	}
	await assert.rejects(fetch(server.url), 'closed');
});

test('/health before registration says registered: false', async () => {
	const server = await startHealthServer(createMinerStore(), {port: 0, host: '127.0.0.1'});
	try {
		const body = (await (await fetch(server.url)).json()) as Record<string, unknown>;
		assert.equal(body.registered, false);
		assert.equal(body.layer, null);
	} finally {
		await server.close();
	}
});

test('status file: written at once, follows the store (throttled), round trips', async () => {
	const path = join(dir, 'run', 'status.json');
	const store = trainingStore();
	const writer = writeStatusFile(store, path, {minIntervalMs: 30});
	try {
		const first = readStatusFile(path);
		assert.ok(first);
		assert.equal(first.pid, process.pid);
		assert.equal(first.state.layer, 1);
		assert.equal(first.state.backwardsSinceMerge, 7);
		assert.equal(first.health.status, 'healthy');
		assert.equal(first.health.uid, 3);

		for (let i = 0; i < 3; i++) store.dispatch({type: 'batch', direction: 'backward', activationUid: `x${i}`, tokens: 1, ms: 1, at: T0});
		await tick(80);
		assert.equal(readStatusFile(path)?.state.backwardsSinceMerge, 10);
		assert.deepEqual(
			readdirSync(join(dir, 'run')),
			['status.json'],
			'no temp files left behind',
		);
	} finally {
		writer.close();
	}
});

test('status file: close writes the final state', () => {
	const path = join(dir, 'final.json');
	const store = trainingStore();
	const writer = writeStatusFile(store, path, {minIntervalMs: 10_000});
	store.dispatch({type: 'stopped', at: T0});
	writer.close();
	const snap = readStatusFile(path);
	assert.equal(snap?.state.status, 'stopped');
	assert.equal(snap?.health.status, 'stopped');
});

test('readStatusFile: null when stale (> 30 s), missing, garbage, or its process is gone', () => {
	const path = join(dir, 'stale.json');
	const writer = writeStatusFile(trainingStore(), path);
	writer.close();
	const snap = readStatusFile(path);
	assert.ok(snap);
	assert.ok(readStatusFile(path, {now: snap.writtenAt + 29_000}));
	assert.equal(readStatusFile(path, {now: snap.writtenAt + 31_000}), null);
	assert.ok(readStatusFile(path, {now: snap.writtenAt + 31_000, maxAgeMs: 60_000}));

	assert.equal(readStatusFile(join(dir, 'missing.json')), null);
	writeFileSync(join(dir, 'garbage.json'), '{not json');
	assert.equal(readStatusFile(join(dir, 'garbage.json')), null);

	const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
	writeFileSync(join(dir, 'dead.json'), JSON.stringify({...snap, pid: Number(gone), writtenAt: Date.now()}));
	assert.equal(readStatusFile(join(dir, 'dead.json')), null);
});
