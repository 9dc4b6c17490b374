// The check every reduced fuzz test makes: each row tried something and counted nothing bad.
import assert from 'node:assert/strict';
import type {FuzzTarget} from '../../fuzz/types.js';

export async function assertClean(target: FuzzTarget, minRows = 1): Promise<void> {
	const lines: string[] = [];
	const rows = await target.run({reduced: true, log: line => lines.push(line)});
	assert.ok(rows.length >= minRows, `${rows.length} rows`);
	for (const r of rows) {
		assert.ok(r.tried > 0, `${r.target}: nothing tried`);
		assert.deepEqual({crashed: r.crashed, accepted: r.accepted, fivexx: r.fivexx, hung: r.hung}, {crashed: 0, accepted: 0, fivexx: 0, hung: 0}, `${r.target}:\n${lines.join('\n')}`);
	}
}
