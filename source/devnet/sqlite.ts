// The orchestrator's SQLite through Node's built-in node:sqlite (Node 22.5+): no native addon to
// compile at install. Adds the one thing the devnet used from better-sqlite3, a transaction wrapper.
import {DatabaseSync} from 'node:sqlite';

export type Database = DatabaseSync;

export function openDatabase(file: string): Database {
	const db = new DatabaseSync(file);
	db.exec('PRAGMA journal_mode = WAL');
	db.exec('PRAGMA synchronous = NORMAL');
	db.exec('PRAGMA busy_timeout = 5000');
	return db;
}

const depth = new WeakMap<Database, number>();

/** Runs fn in one transaction; a nested call joins the outer one. Rolls back if fn throws. */
export function transaction<T>(db: Database, fn: () => T): T {
	const level = depth.get(db) ?? 0;
	if (level > 0) return fn();
	db.exec('BEGIN IMMEDIATE');
	depth.set(db, 1);
	try {
		const result = fn();
		db.exec('COMMIT');
		return result;
	} catch (error) {
		if (db.isTransaction) db.exec('ROLLBACK');
		throw error;
	} finally {
		depth.set(db, 0);
	}
}
