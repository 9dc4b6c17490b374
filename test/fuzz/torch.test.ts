// The reduced torch.save fuzz run: every hostile file is refused by the wire decoder with a one-line
// error, none crashes the reader, none hangs.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {target} from '../../fuzz/torch.js';

test('torch fuzz (reduced): no crash, nothing hostile decoded, no hang', {timeout: 180_000}, async () => {
	const lines: string[] = [];
	const rows = await target.run({reduced: true, log: line => lines.push(line)});
	assert.ok(rows.length >= 6);
	for (const r of rows) {
		assert.ok(r.tried > 0, `${r.target}: nothing tried`);
		assert.deepEqual({crashed: r.crashed, accepted: r.accepted, fivexx: r.fivexx, hung: r.hung}, {crashed: 0, accepted: 0, fivexx: 0, hung: 0}, `${r.target}:\n${lines.join('\n')}`);
	}
});
