// The merge side of an epoch: weight submissions, who uploads the optimizer state, the chunk
// assignments, merged partitions as submitted, and the layer's current (promoted) partitions.
import type {Database} from '../sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS submissions(
	layer INTEGER NOT NULL, epoch INTEGER NOT NULL, hotkey TEXT NOT NULL, weights_key TEXT NOT NULL,
	weighting_factor INTEGER NOT NULL, optimizer_uploader INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL,
	PRIMARY KEY(layer, epoch, hotkey));
CREATE TABLE IF NOT EXISTS optimizer_states(
	layer INTEGER NOT NULL, epoch INTEGER NOT NULL, hotkey TEXT NOT NULL, key TEXT NOT NULL, at INTEGER NOT NULL,
	PRIMARY KEY(layer, epoch));
CREATE TABLE IF NOT EXISTS assignments(
	layer INTEGER NOT NULL, epoch INTEGER NOT NULL, chunk INTEGER NOT NULL, hotkey TEXT NOT NULL, other TEXT,
	PRIMARY KEY(layer, epoch, chunk, hotkey));
CREATE TABLE IF NOT EXISTS merged(
	layer INTEGER NOT NULL, epoch INTEGER NOT NULL, chunk INTEGER NOT NULL, hotkey TEXT NOT NULL, other TEXT,
	blob_key TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(layer, epoch, chunk, hotkey));
CREATE TABLE IF NOT EXISTS current_partitions(
	layer INTEGER NOT NULL, chunk INTEGER NOT NULL, epoch INTEGER NOT NULL, hotkey TEXT NOT NULL, other TEXT,
	blob_key TEXT NOT NULL, PRIMARY KEY(layer, chunk));
`;

export interface SubmissionRow {
	hotkey: string;
	weights_key: string;
	weighting_factor: number;
	optimizer_uploader: number;
}

export interface AssignmentRow {
	chunk: number;
	hotkey: string;
	other: string | null;
}

export interface PartitionRow {
	layer: number;
	chunk: number;
	epoch: number;
	hotkey: string;
	other: string | null;
	blob_key: string;
}

export class MergeBook {
	constructor(readonly db: Database) {
		db.exec(SCHEMA);
	}

	// ---- weights and optimizer state
	submissions(layer: number, epoch: number): SubmissionRow[] {
		return this.db.prepare('SELECT hotkey, weights_key, weighting_factor, optimizer_uploader FROM submissions WHERE layer = ? AND epoch = ? ORDER BY at, hotkey').all(layer, epoch) as unknown as SubmissionRow[];
	}
	submission(layer: number, epoch: number, hotkey: string): SubmissionRow | undefined {
		return this.db.prepare('SELECT hotkey, weights_key, weighting_factor, optimizer_uploader FROM submissions WHERE layer = ? AND epoch = ? AND hotkey = ?').get(layer, epoch, hotkey) as SubmissionRow | undefined;
	}
	/** Records (or replaces) a submission; the first submitter of a layer and epoch uploads the optimizer state. */
	submit(layer: number, epoch: number, hotkey: string, weightsKey: string, weightingFactor: number, now: number): SubmissionRow {
		const known = this.submission(layer, epoch, hotkey);
		if (known) {
			this.db.prepare('UPDATE submissions SET weights_key = ?, weighting_factor = ?, at = ? WHERE layer = ? AND epoch = ? AND hotkey = ?').run(weightsKey, weightingFactor, now, layer, epoch, hotkey);
			return {...known, weights_key: weightsKey, weighting_factor: weightingFactor};
		}
		const uploader = this.db.prepare('SELECT 1 FROM submissions WHERE layer = ? AND epoch = ? AND optimizer_uploader = 1').get(layer, epoch) ? 0 : 1;
		this.db
			.prepare('INSERT INTO submissions(layer, epoch, hotkey, weights_key, weighting_factor, optimizer_uploader, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
			.run(layer, epoch, hotkey, weightsKey, weightingFactor, uploader, now);
		return {hotkey, weights_key: weightsKey, weighting_factor: weightingFactor, optimizer_uploader: uploader};
	}
	/** A layer that timed out of its merge forgets that epoch's submissions and plan. */
	clearEpoch(layer: number, epoch: number): void {
		for (const t of ['submissions', 'assignments', 'merged', 'optimizer_states']) this.db.prepare(`DELETE FROM ${t} WHERE layer = ? AND epoch = ?`).run(layer, epoch);
	}
	setOptimizerState(layer: number, epoch: number, hotkey: string, key: string, now: number): void {
		this.db.prepare('INSERT OR REPLACE INTO optimizer_states(layer, epoch, hotkey, key, at) VALUES (?, ?, ?, ?, ?)').run(layer, epoch, hotkey, key, now);
	}
	latestOptimizerState(layer: number): {key: string; epoch: number} | undefined {
		return this.db.prepare('SELECT key, epoch FROM optimizer_states WHERE layer = ? ORDER BY epoch DESC LIMIT 1').get(layer) as {key: string; epoch: number} | undefined;
	}

	// ---- chunk plan and merged partitions
	assign(layer: number, epoch: number, rows: AssignmentRow[]): void {
		const stmt = this.db.prepare('INSERT OR IGNORE INTO assignments(layer, epoch, chunk, hotkey, other) VALUES (?, ?, ?, ?, ?)');
		for (const r of rows) stmt.run(layer, epoch, r.chunk, r.hotkey, r.other);
	}
	assignmentsFor(layer: number, epoch: number, hotkey: string): AssignmentRow[] {
		return this.db.prepare('SELECT chunk, hotkey, other FROM assignments WHERE layer = ? AND epoch = ? AND hotkey = ? ORDER BY chunk').all(layer, epoch, hotkey) as unknown as AssignmentRow[];
	}
	/** False when this miner already submitted this chunk. */
	addMerged(p: PartitionRow, now: number): boolean {
		return (
			this.db
				.prepare('INSERT OR IGNORE INTO merged(layer, epoch, chunk, hotkey, other, blob_key, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
				.run(p.layer, p.epoch, p.chunk, p.hotkey, p.other, p.blob_key, now).changes > 0
		);
	}
	/** Chunks of the layer with at least one merged partition this epoch. */
	mergedChunks(layer: number, epoch: number): number {
		return (this.db.prepare('SELECT COUNT(DISTINCT chunk) AS n FROM merged WHERE layer = ? AND epoch = ?').get(layer, epoch) as {n: number}).n;
	}
	/** The epoch's first merged partition per chunk becomes the layer's current one. */
	promote(layer: number, epoch: number): number {
		const rows = this.db
			.prepare('SELECT m.layer, m.chunk, m.epoch, m.hotkey, m.other, m.blob_key FROM merged m WHERE m.layer = ? AND m.epoch = ? AND m.at = (SELECT MIN(at) FROM merged x WHERE x.layer = m.layer AND x.epoch = m.epoch AND x.chunk = m.chunk) ORDER BY m.chunk, m.hotkey')
			.all(layer, epoch) as unknown as PartitionRow[];
		const stmt = this.db.prepare('INSERT OR REPLACE INTO current_partitions(layer, chunk, epoch, hotkey, other, blob_key) VALUES (?, ?, ?, ?, ?, ?)');
		const seen = new Set<number>();
		for (const r of rows) {
			if (seen.has(r.chunk)) continue;
			seen.add(r.chunk);
			stmt.run(r.layer, r.chunk, r.epoch, r.hotkey, r.other, r.blob_key);
		}
		return seen.size;
	}
	currentPartitions(layer: number, chunks?: number[]): PartitionRow[] {
		const all = this.db.prepare('SELECT layer, chunk, epoch, hotkey, other, blob_key FROM current_partitions WHERE layer = ? ORDER BY chunk').all(layer) as unknown as PartitionRow[];
		if (!chunks) return all;
		const wanted = new Set(chunks);
		return all.filter(p => wanted.has(p.chunk));
	}
}
