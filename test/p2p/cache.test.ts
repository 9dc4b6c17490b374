// The activation cache served to pulls: TTL with EXPIRED tombstones, LRU under entry and byte caps, BLAKE3 per entry.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {test} from 'node:test';
import {ActivationCache} from '../../source/p2p/cache.js';
import {blake3Hex} from '../../source/p2p/hash.js';
import {KeyedLimiter} from '../../source/p2p/limiter.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

test('BLAKE3 of known inputs (official test vectors)', async () => {
	assert.equal(await blake3Hex(new Uint8Array(0)), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
	// The BLAKE3 test-vector input: bytes 0..250 repeating; 1024 bytes is one full chunk.
	const input = Uint8Array.from({length: 1024}, (_, i) => i % 251);
	assert.equal(await blake3Hex(input), '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7');
	if (spawnSync('b3sum', ['--version'], {stdio: 'ignore'}).status === 0) {
		const r = spawnSync('b3sum', ['--no-names'], {input, encoding: 'utf8'});
		assert.equal(r.stdout.trim(), await blake3Hex(input));
	}
});

test('put stores a copy and its BLAKE3; get hits, misses', async () => {
	const c = new ActivationCache();
	const data = bytes(10, 7);
	const hash = await c.put('a', data);
	data.fill(0);
	const got = c.get('a');
	assert.equal(got.status, 'hit');
	assert.ok(got.status === 'hit' && got.entry.bytes.every(b => b === 7), 'the caller reusing its buffer does not change the cache');
	assert.equal(got.status === 'hit' && got.entry.hash, hash);
	assert.equal(hash, await blake3Hex(bytes(10, 7)));
	assert.deepEqual(c.get('nope'), {status: 'missing'});
	assert.equal(c.size, 1);
	assert.equal(c.bytes, 10);
});

test('TTL: past it a pull hears EXPIRED (remembered after the entry is gone), default 3000 s', async () => {
	let now = 1_000_000;
	const c = new ActivationCache({now: () => now});
	assert.equal(c.ttlMs, 3_000_000);
	await c.put('a', bytes(4));
	await c.put('b', bytes(4));
	now += 3_000_000;
	assert.equal(c.get('a').status, 'hit', 'exactly at the TTL is still fresh');
	now += 1;
	assert.deepEqual(c.get('a'), {status: 'expired'});
	assert.deepEqual(c.get('a'), {status: 'expired'});
	c.sweep();
	assert.equal(c.size, 0);
	assert.equal(c.bytes, 0);
	assert.deepEqual(c.get('b'), {status: 'expired'});
	await c.put('a', bytes(4));
	assert.equal(c.get('a').status, 'hit', 'a fresh put replaces the tombstone');
	c.clear();
	assert.deepEqual(c.get('b'), {status: 'missing'});
});

test('LRU: the least recently used entry goes first, under the entry cap and the byte cap', async () => {
	const c = new ActivationCache({maxEntries: 3, maxBytes: 100});
	await c.put('a', bytes(10));
	await c.put('b', bytes(10));
	await c.put('c', bytes(10));
	c.get('a'); // a is now the most recent
	await c.put('d', bytes(10));
	assert.deepEqual(['a', 'b', 'c', 'd'].map(k => c.get(k).status), ['hit', 'missing', 'hit', 'hit']);
	await c.put('big', bytes(85));
	assert.equal(c.bytes, 95);
	assert.deepEqual(['a', 'c', 'd', 'big'].map(k => c.get(k).status), ['missing', 'missing', 'hit', 'hit']);
	await c.put('big', bytes(50));
	assert.equal(c.bytes, 60, 'replacing an id frees its old bytes');
	await assert.rejects(c.put('huge', bytes(101)), RangeError);
	assert.equal(c.bytes, 60);
});

test('KeyedLimiter: at most N per key, others keyed separately, slots handed over in order', async () => {
	const l = new KeyedLimiter(2);
	const order: string[] = [];
	const gates: Array<() => void> = [];
	const task = (name: string) => () => new Promise<void>(resolve => { order.push(name); gates.push(resolve); });
	const runs = ['a1', 'a2', 'a3', 'a4'].map(n => l.run('a', task(n)));
	const other = l.run('b', task('b1'));
	await new Promise(r => setImmediate(r));
	assert.deepEqual(order, ['a1', 'a2', 'b1']);
	assert.equal(l.inFlight('a'), 2);
	gates.shift()!();
	await new Promise(r => setImmediate(r));
	assert.deepEqual(order, ['a1', 'a2', 'b1', 'a3']);
	while (gates.length) { gates.shift()!(); await new Promise(r => setImmediate(r)); }
	await Promise.all([...runs, other]);
	assert.equal(l.peak.get('a'), 2);
	assert.equal(l.inFlight('a'), 0);
});
