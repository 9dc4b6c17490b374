// The bridge registry written through to SQLite: a new registry on the same file (an orchestrator
// restart) has every variable with its value, version, type, rule and lock; deletions stay deleted.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PyFloat} from '../../../source/orchestrator/canonical-json.js';
import {BridgeRegistry} from '../../../source/devnet/current/bridge.js';
import {BridgeBook} from '../../../source/devnet/current/state-bridge.js';
import {openDatabase} from '../../../source/devnet/sqlite.js';

test('bridge variables survive a restart of the registry on the same SQLite file', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'iota-bridge-'));
	try {
		const file = join(dir, 'current.sqlite');
		const limits = {maxVariables: 100, maxValueBytes: 4096, idleTtlMs: 3_600_000};
		const db = openDatabase(file);
		const a = new BridgeRegistry({...limits, store: new BridgeBook(db)});
		a.register([
			{var_id: 'peers/layer1/x', default_value: null, var_type: 'dict', write_rule: 'LWW'},
			{var_id: 'counter', default_value: 0, var_type: 'int', write_rule: 'CAS'},
			{var_id: 'weight', default_value: new PyFloat(1), var_type: 'float', write_rule: 'LOCK'},
			{var_id: 'gone', default_value: 'x', var_type: 'str', write_rule: 'LWW'},
		]);
		a.set([{var_id: 'peers/layer1/x', value: {node_id: 'abc', layer: 1}}, {var_id: 'counter', value: 5, current_version: 1}]);
		const {locks} = await a.lock(['weight'], 60_000, 0);
		a.delete(['gone']);
		db.close();
		const b = new BridgeRegistry({...limits, store: new BridgeBook(openDatabase(file))});
		assert.equal(b.size, 3);
		const got = Object.fromEntries(b.get(['peers/layer1/x', 'counter', 'weight', 'gone']).variables.map(v => [v.var_id, v]));
		assert.deepEqual(got['peers/layer1/x']!.value, {node_id: 'abc', layer: 1});
		assert.equal(got.counter!.value, 5);
		assert.equal(got.counter!.version, 2);
		assert.ok(got.weight!.value instanceof PyFloat, 'a float stays a float');
		assert.equal(got.gone, undefined);
		assert.equal(b.set([{var_id: 'counter', value: 6, current_version: 1}]).results[0]!.status, 'error', 'CAS still checks the kept version');
		assert.equal(b.set([{var_id: 'weight', value: new PyFloat(2), lock_token: locks[0]!.lock_token}]).results[0]!.status, 'updated', 'the lock survived with its token');
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});
