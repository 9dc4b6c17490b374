// Pure helpers: sparklines, progress bars, formatters and the layout plan.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {progressBar, sparkline} from '../../source/ui/dashboard/sparkline.js';
import {age, bytes, mergeProgress, mergeProgressText, middle, p2pSummary, protocolText, queueRows} from '../../source/ui/dashboard/format.js';
import {trainingStore} from './fixtures.js';
import {packLines, PANEL_ROW, planLayout} from '../../source/ui/dashboard/layout.js';
import type {UploadItem} from '../../source/miner/types.js';

test('sparkline scales between min and max, one block per value', () => {
	assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8), '▁▂▃▄▅▆▇█');
	assert.equal(sparkline([7, 6, 5, 4, 3, 2, 1, 0], 8), '█▇▆▅▄▃▂▁');
	assert.equal(sparkline([1, 2, 3], 10).length, 3, 'fewer values than width: no padding');
});

test('sparkline keeps the newest values when there are more than the width', () => {
	assert.equal(sparkline([100, 100, 0, 1], 2), '▁█');
});

test('sparkline: flat, empty, gaps and zero width', () => {
	assert.equal(sparkline([5, 5, 5], 3), '▄▄▄');
	assert.equal(sparkline([], 5), '');
	assert.equal(sparkline([0, Number.NaN, 1], 3), '▁ █');
	assert.equal(sparkline([Number.NaN], 3), ' ');
	assert.equal(sparkline([1, 2], 0), '');
});

test('progressBar fills done/total of the width and clamps', () => {
	assert.equal(progressBar(7, 10, 10), '███████░░░');
	assert.equal(progressBar(0, 10, 4), '░░░░');
	assert.equal(progressBar(15, 10, 4), '████');
	assert.equal(progressBar(3, null, 4), '░░░░', 'unknown total: empty bar');
	assert.equal(progressBar(3, 0, 4), '░░░░');
});

test('formatters: bytes, age, middle', () => {
	assert.equal(bytes(512), '512 B');
	assert.equal(bytes(2 * 1024 * 1024), '2.0 MB');
	assert.equal(bytes(48 * 1024 * 1024), '48 MB');
	assert.equal(age(4_000), '4s');
	assert.equal(age(125_000), '2m05s');
	assert.equal(age(3_720_000), '1h02m');
	assert.equal(middle('abcdefghij', 5), 'ab…ij');
	assert.equal(middle('abc', 5), 'abc');
});

test('queueRows puts in-flight and failed items first, newest finished last', () => {
	const item = (id: string, state: UploadItem['state']): UploadItem => ({id, key: id, kind: 'activation', bytes: 1, attempts: 0, state, error: null, queuedAt: 0});
	const {rows, hidden} = queueRows([item('d1', 'done'), item('q1', 'queued'), item('d2', 'done'), item('f1', 'failed'), item('u1', 'uploading')], 4);
	assert.deepEqual(
		rows.map(r => r.id),
		['u1', 'f1', 'q1', 'd2'],
	);
	assert.equal(hidden, 1);
});

test('planLayout: full at 120x40, compact at 80x24 (no sparklines), minimal below', () => {
	const full = planLayout(120, 40, 2, 10);
	assert.equal(full.tier, 'full');
	assert.ok(full.sparklines && full.logLines > 0 && full.queueRows === 8);
	const compact = planLayout(80, 24, 2, 10);
	assert.equal(compact.tier, 'compact');
	assert.equal(compact.sparklines, false);
	assert.ok(compact.queueRows >= 1);
	const small = planLayout(60, 20, 3, 10);
	assert.equal(small.tier, 'minimal');
	assert.equal(small.summaryLines, 4);
	const tiny = planLayout(40, 8, 4, 10);
	assert.equal(tiny.queueRows, 0, 'the table goes before the summary lines');
	assert.equal(tiny.logLines, 0);
	assert.equal(tiny.summaryLines, 3);
});

test('packLines wraps pieces greedily within the width', () => {
	const lines = packLines([{text: 'aaaa'}, {text: 'bbbb'}, {text: 'cccc'}], 10);
	assert.deepEqual(
		lines.map(l => l.map(p => p.text).join('  ')),
		['aaaa  bbbb', 'cccc'],
	);
});

test('batches toward merge never show more than BATCHES_BEFORE_MERGING; past it, what the miner waits for', () => {
	const store = trainingStore();
	const base = store.getState();
	const at = (backwards: number, extra: Partial<typeof base> = {}) => ({...base, backwardsSinceMerge: backwards, ...extra});
	assert.equal(mergeProgressText(at(7)), '7/10 backward passes before merge');
	assert.deepEqual(mergeProgress(at(13)), {done: 10, total: 10, pending: true});
	assert.equal(mergeProgressText(at(13, {phase: 'is_training', waitingFor: null})), '10/10, merge pending: waiting for the orchestrator');
	assert.equal(mergeProgressText(at(10, {phase: 'is_training', waitingFor: 'activations from layer 0'})), '10/10, merge pending: activations from layer 0');
	assert.equal(mergeProgressText(at(12, {phase: 'weights_uploading'})), '10/10, merge pending: uploading weights for the merge');
	assert.equal(mergeProgressText(at(3, {settings: null})), '3/? backward passes before merge');
});

test('planLayout: a transfer line (P2P) comes out of the queue rows and the log, never out of the tier', () => {
	for (const [w, h, s] of [
		[120, 40, 2],
		[100, 30, 2],
		[80, 24, 2],
		[72, 18, 3],
		[60, 20, 3],
		[40, 8, 4],
	] as const) {
		const without = planLayout(w, h, s, 10);
		const withP2P = planLayout(w, h, s, 10, 1);
		assert.equal(withP2P.tier, without.tier, `${w}x${h}`);
		assert.equal(withP2P.sparklines, without.sparklines, `${w}x${h}`);
		if (without.tier === 'minimal') {
			assert.ok(withP2P.summaryLines >= without.summaryLines, 'the four summary lines come first');
		} else {
			assert.ok(withP2P.queueRows >= 1);
			// Status, the top panel row, the queue panel (its P2P line included), the log and the footer fit.
			const middle = withP2P.sparklines ? Math.max(PANEL_ROW, 5 + withP2P.queueRows) : 5 + Math.max(1, withP2P.queueRows);
			assert.ok(s + PANEL_ROW + middle + (withP2P.logLines > 0 ? withP2P.logLines + 3 : 0) + 1 <= h, `${w}x${h}`);
		}
	}
	assert.equal(planLayout(60, 20, 3, 10, 1).summaryLines, 5);
	assert.equal(planLayout(40, 8, 4, 10, 1).summaryLines, 3, 'no room: the P2P line goes first');
	assert.equal(planLayout(120, 40, 2, 10, 1).queueRows, 8, 'the full tier keeps 8 rows');
});

test('protocolText and p2pSummary', () => {
	assert.equal(protocolText({protocol: null, runId: null}), null);
	assert.equal(protocolText({protocol: 'v1', runId: null}), 'v1');
	assert.equal(protocolText({protocol: 'current', runId: '7'}), 'current · run 7');
	assert.equal(protocolText({protocol: 'current', runId: 'a-very-long-run-identifier-0001'}), 'current · run a-very-l…er-0001');
	assert.equal(p2pSummary({in: 0, out: 0, bytesIn: 0, bytesOut: 0, hashFailures: 0, lastMs: null}), 'P2P in 0 (0 B) · out 0 (0 B) · hash failures 0 · last -');
	assert.equal(p2pSummary({in: 3, out: 2, bytesIn: 3 * 1024 ** 2, bytesOut: 1536, hashFailures: 1, lastMs: 84.6}), 'P2P in 3 (3.0 MB) · out 2 (1.5 KB) · hash failures 1 · last 85 ms');
});
