// The orchestrator's Date header tells the miner how far its clock is off; a refusal for a stale
// signature then names the skew and the fix instead of a bare 401.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {ClockSkew} from '../../source/orchestrator/clock-skew.js';
import {OrchestratorClient, OrchestratorError} from '../../source/orchestrator/client.js';
import {newPair} from '../devnet/helpers.js';

const reply = (date: string) => ({status: 200, headers: {date}, text: '', bytes: new Uint8Array()});

test('ClockSkew reads the Date header: 20 s ahead or behind is named, a second or two is not', () => {
	const now = Date.parse('2026-12-07T06:00:20.300Z');
	const c = new ClockSkew();
	assert.equal(c.text(), null);
	c.note(reply('Mon, 07 Dec 2026 06:00:00 GMT'), now);
	assert.equal(c.ms, 19_800);
	assert.match(c.text()!, /^this machine's clock is 20 s ahead of the orchestrator's.*timedatectl set-ntp true/);
	c.note(reply('Mon, 07 Dec 2026 06:00:40 GMT'), now);
	assert.match(c.text()!, /clock is 20 s behind/);
	c.note(reply('Mon, 07 Dec 2026 06:00:19 GMT'), now);
	assert.equal(c.text(), null, 'within the header resolution and a little more');
	c.note(reply('not a date'), now);
	assert.equal(c.ms, 800, 'a missing or bad header changes nothing');
});

test('a 401 for a stale signature from a server 20 s behind names the skew', async () => {
	const server = createServer((req, res) => {
		res.sendDate = false;
		res.writeHead(401, {date: new Date(Date.now() - 20_000).toUTCString(), 'content-type': 'application/json'});
		res.end(JSON.stringify({detail: 'Request is too stale'}));
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	try {
		const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		const c = new OrchestratorClient({url, signer: await newPair(), backoffMs: 1, attempts: 1});
		await assert.rejects(c.isRegistered(), (e: unknown) => e instanceof OrchestratorError && e.status === 401 && /too stale \(this machine's clock is 2[01] s ahead/.test(e.detail));
		assert.ok(Math.abs(c.clock.ms! - 20_000) < 1500, String(c.clock.ms));
	} finally {
		server.close();
	}
});
