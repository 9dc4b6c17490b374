// Objects the orchestrator named for miners (initiate_file_upload): who may write them, of what type, and whether complete.
import type {Database} from '../sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS uploads(
	object_name TEXT PRIMARY KEY, hotkey TEXT NOT NULL, file_type TEXT NOT NULL, upload_id TEXT,
	num_parts INTEGER NOT NULL, created_at INTEGER NOT NULL, completed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS uploads_open ON uploads(hotkey, completed);
`;

export type FileType = 'weights' | 'optimizer_state' | 'activation' | 'partition';

export interface UploadRow {
	object_name: string;
	hotkey: string;
	file_type: FileType;
	/** Null for a single presigned PUT (nothing to complete). */
	upload_id: string | null;
	num_parts: number;
	created_at: number;
	completed: number;
}

export class UploadBook {
	constructor(readonly db: Database) {
		db.exec(SCHEMA);
	}

	get(objectName: string): UploadRow | undefined {
		return this.db.prepare('SELECT * FROM uploads WHERE object_name = ?').get(objectName) as UploadRow | undefined;
	}
	add(u: Omit<UploadRow, 'completed'>): void {
		this.db
			.prepare('INSERT INTO uploads(object_name, hotkey, file_type, upload_id, num_parts, created_at, completed) VALUES (?, ?, ?, ?, ?, ?, ?)')
			.run(u.object_name, u.hotkey, u.file_type, u.upload_id, u.num_parts, u.created_at, u.upload_id ? 0 : 1);
	}
	complete(objectName: string): void {
		this.db.prepare('UPDATE uploads SET completed = 1 WHERE object_name = ?').run(objectName);
	}
	/** Multipart uploads this miner started since `since` and has not completed. */
	openCount(hotkey: string, since: number): number {
		return (this.db.prepare('SELECT COUNT(*) AS n FROM uploads WHERE hotkey = ? AND completed = 0 AND created_at >= ?').get(hotkey, since) as {n: number}).n;
	}
}
