// The registration queue's rows: one entry per register call, moving queued -> confirming -> confirmed -> succeeded (or failed/expired).
import type {Database} from '../sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue(
	queue_id TEXT PRIMARY KEY, hotkey TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL, request TEXT NOT NULL, reserved_until INTEGER, payload_mismatch INTEGER NOT NULL DEFAULT 0,
	detail TEXT, response TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS queue_hotkey ON queue(hotkey, status);
`;

export type QueueStatus = 'queued' | 'confirming' | 'confirmed' | 'processing' | 'succeeded' | 'failed' | 'expired';
export const OPEN_STATUSES: QueueStatus[] = ['queued', 'confirming', 'confirmed', 'processing'];
const OPEN = `('queued', 'confirming', 'confirmed', 'processing')`;

export interface QueueRow {
	queue_id: string;
	hotkey: string;
	status: QueueStatus;
	created_at: number;
	updated_at: number;
	/** The register body as signed (canonical JSON), to spot a changed payload. */
	request: string;
	reserved_until: number | null;
	payload_mismatch: number;
	detail: string | null;
	/** JSON text of the MinerRegistrationResponse once succeeded. */
	response: string | null;
	/** JSON text of {error_name, message} once failed. */
	error: string | null;
}

export class QueueBook {
	constructor(readonly db: Database) {
		db.exec(SCHEMA);
	}

	get(queueId: string): QueueRow | undefined {
		return this.db.prepare('SELECT * FROM queue WHERE queue_id = ?').get(queueId) as QueueRow | undefined;
	}
	openFor(hotkey: string): QueueRow | undefined {
		return this.db.prepare(`SELECT * FROM queue WHERE hotkey = ? AND status IN ${OPEN} ORDER BY created_at DESC LIMIT 1`).get(hotkey) as QueueRow | undefined;
	}
	openCount(): number {
		return (this.db.prepare(`SELECT COUNT(*) AS n FROM queue WHERE status IN ${OPEN}`).get() as {n: number}).n;
	}
	/** Open entries ahead of this one (0 = next). */
	position(row: QueueRow): number {
		return (this.db.prepare(`SELECT COUNT(*) AS n FROM queue WHERE status IN ${OPEN} AND (created_at < ? OR (created_at = ? AND queue_id < ?))`).get(row.created_at, row.created_at, row.queue_id) as {n: number}).n;
	}
	create(queueId: string, hotkey: string, request: string, now: number): void {
		this.db.prepare("INSERT INTO queue(queue_id, hotkey, status, created_at, updated_at, request) VALUES (?, ?, 'queued', ?, ?, ?)").run(queueId, hotkey, now, now, request);
	}
	update(queueId: string, status: QueueStatus, now: number, f: {reserved_until?: number | null; detail?: string | null; response?: string | null; error?: string | null} = {}): void {
		this.db
			.prepare('UPDATE queue SET status = ?, updated_at = ?, reserved_until = ?, detail = ?, response = ?, error = ? WHERE queue_id = ?')
			.run(status, now, f.reserved_until ?? null, f.detail ?? null, f.response ?? null, f.error ?? null, queueId);
	}
	markMismatch(queueId: string): void {
		this.db.prepare('UPDATE queue SET payload_mismatch = 1 WHERE queue_id = ?').run(queueId);
	}
	/** Entries nobody moved on (queued or confirmed, left by a miner that stopped polling) expire, so they do not fill the queue. */
	expireAbandoned(before: number, now: number): void {
		this.db.prepare("UPDATE queue SET status = 'expired', updated_at = ?, detail = 'abandoned: not polled' WHERE status IN ('queued', 'confirmed') AND updated_at < ?").run(now, before);
	}
	/** Finished entries older than `before` are dropped (the table stays small). */
	prune(before: number): void {
		this.db.prepare(`DELETE FROM queue WHERE status NOT IN ${OPEN} AND updated_at < ?`).run(before);
	}
}
