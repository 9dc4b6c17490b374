// The bridge registry's variables in SQLite, written through on every change, so an orchestrator
// restart keeps the peer registry (miners would otherwise find no peers until they publish again).
import {canonicalJson, type PyJson} from '../../orchestrator/canonical-json.js';
import {parsePyJson} from '../../orchestrator/py-json-parse.js';
import type {BridgeStore, Variable} from './bridge.js';
import type {Database} from '../sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bridge_vars(
	var_id TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL, var_type TEXT NOT NULL, write_rule TEXT NOT NULL,
	updated_at INTEGER NOT NULL, lock_token TEXT, lock_until INTEGER);
`;

type Row = {var_id: string; value: string; version: number; var_type: Variable['var_type']; write_rule: Variable['write_rule']; updated_at: number; lock_token: string | null; lock_until: number | null};

export class BridgeBook implements BridgeStore {
	constructor(readonly db: Database) {
		db.exec(SCHEMA);
	}

	load(): [string, Variable][] {
		return (this.db.prepare('SELECT * FROM bridge_vars').all() as unknown as Row[]).map(r => [
			r.var_id,
			{value: parsePyJson(r.value) as PyJson, version: r.version, var_type: r.var_type, write_rule: r.write_rule, updated_at: r.updated_at, lock: r.lock_token ? {token: r.lock_token, until: r.lock_until!} : null},
		]);
	}

	save(id: string, v: Variable): void {
		this.db
			.prepare('INSERT OR REPLACE INTO bridge_vars(var_id, value, version, var_type, write_rule, updated_at, lock_token, lock_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
			.run(id, canonicalJson(v.value), v.version, v.var_type, v.write_rule, v.updated_at, v.lock?.token ?? null, v.lock?.until ?? null);
	}

	remove(id: string): void {
		this.db.prepare('DELETE FROM bridge_vars WHERE var_id = ?').run(id);
	}
}
