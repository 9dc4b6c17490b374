// The opt-in event-loop delay hook: a blocked loop shows in p99, reset() forgets it, and the
// status file carries the fields only when a hook is passed.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {loopDelayWanted, startLoopDelay} from '../source/loop-delay.js';
import {writeStatusFile} from '../source/ui/health.js';
import {createMinerStore} from '../source/miner/store.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const block = (ms: number) => {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		// busy: the loop cannot run its timers
	}
};

test('a 150 ms block shows in event_loop_p99_ms and max; reset() starts over', async () => {
	const loop = startLoopDelay(5);
	try {
		await sleep(30);
		block(150);
		await sleep(30);
		const s = loop.stats();
		assert.ok(s.event_loop_max_ms >= 100, `max ${s.event_loop_max_ms}`);
		assert.ok(s.event_loop_p99_ms >= 100, `p99 ${s.event_loop_p99_ms}`);
		const before = s.event_loop_since;
		loop.reset();
		const after = loop.stats();
		assert.ok(after.event_loop_max_ms < 100, `after reset max ${after.event_loop_max_ms}`);
		assert.ok(after.event_loop_since >= before);
	} finally {
		loop.close();
	}
});

test('opt-in: IOTA_TUI_LOOP_DELAY=1 only', () => {
	assert.equal(loopDelayWanted({IOTA_TUI_LOOP_DELAY: '1'}), true);
	assert.equal(loopDelayWanted({}), false);
});

test('the status file has event_loop_p99_ms with a hook and not without', () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-loop-'));
	const loop = startLoopDelay();
	try {
		const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
		const withHook = join(dir, 'a.json'), without = join(dir, 'b.json');
		writeStatusFile(createMinerStore(), withHook, {loopDelay: loop}).close();
		writeStatusFile(createMinerStore(), without).close();
		assert.equal(typeof read(withHook).event_loop_p99_ms, 'number');
		assert.equal(typeof read(withHook).event_loop_since, 'number');
		assert.equal('event_loop_p99_ms' in read(without), false);
	} finally {
		loop.close();
		rmSync(dir, {recursive: true, force: true});
	}
});
