// The miner's HTTP side against hostile peers on loopback: huge replies are cut off while read,
// slow ones end at an overall deadline, redirects and non-http or foreign presigned URLs are
// refused, and an absurd multipart plan is refused before a single byte is sent.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {Keyring} from '@polkadot/keyring';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {OrchestratorClient, OrchestratorError} from '../../source/orchestrator/client.js';
import {download, putPresigned, uploadObject} from '../../source/orchestrator/transfer.js';
import {startFakes, type Fakes} from '../../fuzz/miner-fakes.js';

let f: Fakes;
let client: OrchestratorClient;

before(async () => {
	await cryptoWaitReady();
	const signer = new Keyring({type: 'sr25519'}).addFromUri('//Alice');
	f = await startFakes({layer: 1});
	client = new OrchestratorClient({url: f.url, signer, attempts: 2, backoffMs: 10});
});
after(() => f.close());

test('a 600 MB reply is cut off at the 1 MB cap with a one-line error, and the socket is closed', async () => {
	f.routes.set('POST /storage/activations/random', () => ({huge: 600 * 1024 * 1024}));
	const t0 = Date.now();
	await assert.rejects(client.randomActivation(), (e: unknown) => {
		assert.ok(e instanceof OrchestratorError);
		assert.match(e.message, /over the 1 MB limit/);
		assert.ok(!e.message.includes('\n'), 'one line');
		return true;
	});
	assert.ok(Date.now() - t0 < 10_000, 'refused at once, not after reading 600 MB');
	assert.equal(f.hitCount('POST /storage/activations/random'), 1, 'a reply too big is not asked for again');
	f.routes.clear();
});

test('a reply dripped one byte a second ends at the overall deadline, not never', async () => {
	f.routes.set('POST /storage/activations/random', () => ({drip: 1000}));
	const slow = new OrchestratorClient({url: f.url, signer: new Keyring({type: 'sr25519'}).addFromUri('//Bob'), attempts: 1, timeoutMs: 2500});
	const t0 = Date.now();
	await assert.rejects(slow.randomActivation(), /timed out after 2500 ms/);
	assert.ok(Date.now() - t0 < 15_000);
	f.routes.clear();
	// Downloads too: the store drips the body.
	f.storeRoutes.push(r => (r.path === '/drip' ? {drip: 1000} : undefined));
	await assert.rejects(download(`${f.storeUrl}/drip`, undefined, {attempts: 1, timeoutMs: 2500}), /download failed: timed out after 2500 ms/);
});

test('redirects are refused: to another host, from the orchestrator and from the store', async () => {
	f.routes.set('POST /storage/activations/random', () => ({status: 307, headers: {location: `${f.foreignUrl}/storage/activations/random`}}));
	await assert.rejects(client.randomActivation(), /redirect to http:\/\/127\.0\.0\.2.* refused/);
	f.routes.clear();
	f.storeRoutes.push(r => (r.path === '/moved' ? {status: 302, headers: {location: `${f.foreignUrl}/act/in.bin`}} : undefined));
	await assert.rejects(download(`${f.storeUrl}/moved`), /redirect.*not followed/);
	await assert.rejects(putPresigned(`${f.storeUrl}/moved`, new Uint8Array(4)), /redirect.*not followed/);
	assert.equal(f.foreignHits, 0, 'the foreign host saw nothing');
});

test('presigned URLs: data:, file: and ftp: are refused, and so is a host the store does not live on', async () => {
	for (const url of ['data:application/octet-stream;base64,SU9UQQ==', 'file:///etc/passwd', `ftp://${new URL(f.storeUrl).host}/act/in.bin`]) {
		await assert.rejects(download(url), /only http\(s\) URLs are used/, url);
		await assert.rejects(putPresigned(url, new Uint8Array(1)), /only http\(s\) URLs are used/, url);
	}
	await assert.rejects(download(`${f.foreignUrl}/act/in.bin`, undefined, {allowHosts: ['127.0.0.1']}), /points at 127\.0\.0\.2, not the store/);
	assert.equal(f.foreignHits, 0);
	// The store's own host is fine.
	assert.ok((await download(`${f.storeUrl}/act/in.bin`, undefined, {allowHosts: ['127.0.0.1']})).length > 0);
});

const plan = (n: number, partSize: number) => ({
	json: {message: 'ok', data: {use_multipart: true, part_size: partSize, total_parts: n, multipart_data: {upload_id: 'u', part_numbers: Array.from({length: n}, (_, i) => i + 1), presigned_urls: Array.from({length: n}, (_, i) => ({url: `${f.storeUrl}/part/${i}`}))}}},
});

test('an absurd multipart plan (thousands of one-byte parts) is refused before any part is sent', async () => {
	const puts = f.puts.length;
	f.routes.set('POST /storage/multipart_upload/initiate', () => plan(12_000, 1));
	// Over 10,000 parts the reply schema already refuses the plan (S3's own maximum).
	await assert.rejects(uploadObject(client, 'activations/x.bin', new Uint8Array(12_000)), /multipart_upload\/initiate: HTTP 200 unexpected reply: data/);
	f.routes.set('POST /storage/multipart_upload/initiate', () => plan(5000, 1));
	await assert.rejects(uploadObject(client, 'activations/x.bin', new Uint8Array(5000)), /parts of 1 bytes are under S3's 5 MB minimum/);
	// Counts that do not add up to the bytes are refused too.
	f.routes.set('POST /storage/multipart_upload/initiate', () => plan(3, 5 * 1024 * 1024));
	await assert.rejects(uploadObject(client, 'activations/y.bin', new Uint8Array(10)), /3 parts of 5242880 bytes do not make 10 bytes/);
	// 27,000 parts do not even fit the 1 MB reply cap.
	f.routes.set('POST /storage/multipart_upload/initiate', () => plan(27_000, 1));
	await assert.rejects(uploadObject(client, 'activations/z.bin', new Uint8Array(27_000)), /over the 1 MB limit/);
	assert.equal(f.puts.length, puts, 'no part was uploaded');
	f.routes.clear();
});
