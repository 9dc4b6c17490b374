// The current adapter's upload events: each direct blob upload shows as an UploadItem, uploading then
// done under the store key the orchestrator named, or failed with the error.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import type {UploadItem} from '../../source/storage/upload-types.js';
import {trackUpload} from '../../source/miner/current/upload-track.js';
import {uploadBlob} from '../../source/miner/current/blob-transfer.js';
import {bytes, clientFor, register, startCurrentEnv, type CurrentEnv} from '../devnet/current/helpers.js';

let env: CurrentEnv;
before(async () => {
	env = await startCurrentEnv({hotkeys: 1, chain: false});
});
after(() => env?.close());

test('trackUpload: uploading then done; a failure is reported and rethrown; no listener, no events', async () => {
	const seen: UploadItem[] = [];
	assert.equal(await trackUpload(i => seen.push(i), 'weights', 'weights', 10, async () => 'w/1.bin', k => k), 'w/1.bin');
	assert.deepEqual(seen.map(i => [i.state, i.key, i.kind, i.bytes]), [['uploading', 'weights', 'weights', 10], ['done', 'w/1.bin', 'weights', 10]]);
	assert.equal(seen[0]!.id, seen[1]!.id);
	await assert.rejects(trackUpload(i => seen.push(i), 'activation', 'spot/1', 5, async () => Promise.reject(new Error('HTTP 403'))), /HTTP 403/);
	assert.deepEqual([seen[3]!.state, seen[3]!.error], ['failed', 'HTTP 403']);
	assert.equal(await trackUpload(undefined, 'partition', 'p', 1, async () => 7), 7);
});

test('uploadBlob against the current devnet reports the upload under its object path', async () => {
	const c = clientFor(env.devnet.orchestrator, env.pairs[0]!);
	await register(c);
	const seen: UploadItem[] = [];
	const path = await uploadBlob(c, 'weights', bytes(2500, 1), {}, {partBytes: 1000, onUpload: i => seen.push(i)});
	assert.deepEqual(seen.map(i => i.state), ['uploading', 'done']);
	assert.equal(seen[1]!.key, path);
	assert.equal(seen[1]!.bytes, 2500);
	assert.equal(seen[1]!.kind, 'weights');
});
