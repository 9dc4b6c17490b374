// A lost link to the store, chain or orchestrator: one event when it goes, one when it is back; the
// reducer logs both (with the outage's length), the status bar shows it while it lasts, NDJSON carries it.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Links, isConnectionError} from '../../source/miner/links.js';
import {initialMinerState, minerReducer} from '../../source/miner/reducer.js';
import type {MinerEvent, UploadItem} from '../../source/miner/types.js';
import {jsonEvent, plainEvent} from '../../source/ui/headless.js';
import {statusPieces} from '../../source/ui/dashboard/StatusBar.js';

const upload = (state: UploadItem['state'], error: string | null): UploadItem => ({id: 'j', key: 'activations/u/0/forward/j.bin', kind: 'activation', bytes: 10, attempts: 1, state, error, queuedAt: 0});

test('Links: a first "up" is silent, a change is one event, repeats are none; uploads drive the store', () => {
	const events: MinerEvent[] = [];
	let now = 1000;
	const links = new Links(e => events.push(e), () => now);
	links.set('chain', true);
	assert.equal(events.length, 0, 'nothing was wrong');
	links.fromUpload(upload('queued', 'HTTP 403 AccessDenied'));
	assert.equal(events.length, 0, 'a refusal is an answer, not a lost link');
	links.fromUpload(upload('queued', 'connect ECONNREFUSED 127.0.0.1:9010'));
	links.fromUpload(upload('queued', 'fetch failed'));
	now = 31_000;
	links.fromUpload(upload('done', null));
	links.fromUpload(upload('done', null));
	assert.deepEqual(events, [
		{type: 'link', service: 'store', ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:9010', at: 1000},
		{type: 'link', service: 'store', ok: true, detail: '', at: 31_000},
	]);
	assert.ok(isConnectionError('socket hang up') && isConnectionError('read ECONNRESET') && !isConnectionError('HTTP 500'));
});

test('reducer, status bar and headless views show a lost link while it lasts and its end', () => {
	const down: MinerEvent = {type: 'link', service: 'store', ok: false, detail: 'connect ECONNREFUSED', at: 1000};
	let s = minerReducer(initialMinerState(), down);
	assert.deepEqual(s.links.store, {ok: false, detail: 'connect ECONNREFUSED', since: 1000});
	assert.match(s.log.at(-1)!.text, /^store unreachable: connect ECONNREFUSED \(retrying; work is kept\)$/);
	assert.equal(minerReducer(s, {...down, at: 2000}), s, 'the same state again changes nothing');
	const bar = statusPieces(s, 13_000, 200).map(p => p.text).join(' | ');
	assert.match(bar, /✖ store unreachable for 12s: connect ECONNREFUSED/);
	assert.deepEqual(jsonEvent(down, s, 'hk'), {event: 'link', hotkey: 'hk', service: 'store', ok: false, detail: 'connect ECONNREFUSED'});
	assert.match(plainEvent(down, s)!, /^warn store unreachable/);
	const up: MinerEvent = {type: 'link', service: 'store', ok: true, detail: '', at: 31_000};
	s = minerReducer(s, up);
	assert.equal(s.links.store!.ok, true);
	assert.equal(s.log.at(-1)!.text, 'store reachable again after 30 s');
	assert.doesNotMatch(statusPieces(s, 32_000, 200).map(p => p.text).join(' '), /unreachable/);
	assert.equal(plainEvent(up, s), 'info store reachable again after 30 s');
});

test('presigned transfers report the store link: a refused connection is down, the next success up', async () => {
	const {createServer} = await import('node:http');
	const {download} = await import('../../source/orchestrator/transfer.js');
	const seen: [boolean, string][] = [];
	const onLink = (ok: boolean, detail: string) => seen.push([ok, detail]);
	await assert.rejects(download('http://127.0.0.1:1/x', undefined, {attempts: 2, backoffMs: 1, onLink}));
	assert.equal(seen.length, 2);
	assert.ok(seen.every(([ok, d]) => !ok && /ECONNREFUSED/.test(d)), JSON.stringify(seen));
	const server = createServer((_, res) => res.end('ok'));
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	try {
		const port = (server.address() as {port: number}).port;
		assert.equal(new TextDecoder().decode(await download(`http://127.0.0.1:${port}/x`, undefined, {onLink})), 'ok');
		assert.deepEqual(seen.at(-1), [true, '']);
	} finally {
		server.close();
	}
});
