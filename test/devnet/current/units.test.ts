// The current orchestrator's pure pieces: chunk plan, hash-chain neighbours, quorum, sample cutting, settings.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {chunkPlan, quorum} from '../../../source/devnet/current/phases.js';
import {consumersOf, producerOf, type Step} from '../../../source/devnet/current/state-work.js';
import {cutSamples, fallbackCorpus} from '../../../source/devnet/current/samples.js';
import {resolveCurrentSettings} from '../../../source/devnet/current/settings.js';
import {runModel} from '../../../source/devnet/current/model.js';

test('chunk plan: every chunk to a pair of submitters (each the other\'s other), alone with one, deterministic', () => {
	const plan = chunkPlan(['c', 'a', 'b'], 4, 7);
	assert.equal(plan.length, 8);
	for (let c = 0; c < 4; c++) {
		const rows = plan.filter(r => r.chunk === c);
		assert.equal(rows.length, 2);
		assert.deepEqual([rows[0]!.other, rows[1]!.other], [rows[1]!.hotkey, rows[0]!.hotkey]);
	}
	const load = ['a', 'b', 'c'].map(h => plan.filter(r => r.hotkey === h).length);
	assert.ok(Math.max(...load) - Math.min(...load) <= 1, `balanced: ${load}`);
	assert.deepEqual(chunkPlan(['a', 'b', 'c'], 4, 7), plan);
	assert.deepEqual(chunkPlan(['x'], 2, 1), [{chunk: 0, hotkey: 'x', other: null}, {chunk: 1, hotkey: 'x', other: null}]);
	assert.deepEqual(chunkPlan([], 2, 1), []);
});

test('hash chain neighbours: producerOf and consumersOf are inverse on a 3-layer pipeline', () => {
	const last = 2;
	const steps: Step[] = [0, 1, 2].flatMap(layer => (['forward', 'backward'] as const).map(direction => ({layer, direction})));
	assert.deepEqual(producerOf({layer: 0, direction: 'forward'}, last), null);
	assert.deepEqual(producerOf({layer: 2, direction: 'backward'}, last), {layer: 1, direction: 'forward'});
	assert.deepEqual(producerOf({layer: 0, direction: 'backward'}, last), {layer: 1, direction: 'backward'});
	for (const s of steps) {
		for (const c of consumersOf(s, last)) assert.deepEqual(producerOf(c, last), s, `${JSON.stringify(c)} consumes ${JSON.stringify(s)}`);
		const p = producerOf(s, last);
		if (p) assert.ok(consumersOf(p, last).some(c => c.layer === s.layer && c.direction === s.direction));
	}
});

test('quorum: the smallest count reaching a share, at least one', () => {
	assert.deepEqual([quorum(0.8, 4), quorum(0.8, 5), quorum(1, 3), quorum(0.3, 2), quorum(0.5, 0)], [4, 4, 3, 1, 1]);
});

test('samples: pieces of at least the asked bytes, cut at whitespace; a short corpus is repeated', () => {
	const docs = ['alpha beta gamma delta '.repeat(50), 'épsilon ζeta '.repeat(30)];
	const pieces = cutSamples(docs, 100, 1000);
	assert.ok(pieces.length > 5);
	for (const p of pieces) {
		assert.ok(Buffer.byteLength(p) >= 100);
		assert.equal(p, p.trim());
		assert.ok(!p.includes('\uFFFD'), 'no split UTF-8');
	}
	assert.equal(cutSamples(['tiny text'], 100, 3).length, 1);
	assert.ok(Buffer.byteLength(cutSamples(['tiny text'], 100, 3)[0]!) >= 100);
	assert.equal(cutSamples(docs, 100, 2).length, 2);
	const fallback = fallbackCorpus();
	assert.equal(fallback, fallbackCorpus(), 'deterministic');
	assert.ok(cutSamples([fallback], 4 * 128 * 6, 512).length >= 15);
});

test('settings and run model: devnet defaults, flag overrides, bad values refused', () => {
	const s = resolveCurrentSettings({run_flags: {attest: {enabled: true}}});
	const m = runModel(s);
	assert.equal(m.layers, 3);
	assert.equal(m.flags.attest.enabled, true);
	assert.equal(m.flags.sync_patches.enabled, true);
	assert.ok((m.cfg.total_global_params ?? 0) > 0);
	assert.throws(() => resolveCurrentSettings({model: 'nope'}), /model/);
	assert.throws(() => resolveCurrentSettings({run_id: 'bad id'}), /run_id/);
	assert.equal(runModel(resolveCurrentSettings({model: '100M'})).layers, 2);
});
