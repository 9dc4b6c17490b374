// The reduced P2P fuzz run: every hostile message (framing, signatures, stale, oversized, truncated,
// tampered hash, replayed pull) is refused by the real transport, in process and over the loopback.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {target} from '../../fuzz/p2p.js';

test('p2p fuzz (reduced): no crash, nothing hostile accepted, no hang', {timeout: 180_000}, async () => {
	const lines: string[] = [];
	const rows = await target.run({reduced: true, log: line => lines.push(line)});
	assert.ok(rows.length >= 6);
	for (const r of rows) {
		assert.ok(r.tried > 0, `${r.target}: nothing tried`);
		assert.deepEqual({crashed: r.crashed, accepted: r.accepted, fivexx: r.fivexx, hung: r.hung}, {crashed: 0, accepted: 0, fivexx: 0, hung: 0}, `${r.target}:\n${lines.join('\n')}`);
	}
});
