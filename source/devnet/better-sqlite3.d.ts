// Minimal types for better-sqlite3 12 (no @types package is installed). Only what the devnet uses.
declare module 'better-sqlite3' {
	namespace Database {
		interface RunResult {
			changes: number;
			lastInsertRowid: number | bigint;
		}
		interface Statement {
			run(...params: unknown[]): RunResult;
			get(...params: unknown[]): unknown;
			all(...params: unknown[]): unknown[];
		}
		interface Database {
			prepare(sql: string): Statement;
			exec(sql: string): this;
			pragma(sql: string): unknown;
			transaction<F extends (...args: never[]) => unknown>(fn: F): F;
			close(): this;
		}
	}
	const Database: new (filename: string, options?: {readonly?: boolean; fileMustExist?: boolean; timeout?: number}) => Database.Database;
	export default Database;
}
