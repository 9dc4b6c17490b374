// Score bookkeeping in the orchestrator's SQLite file: spot-check results in their own table, and
// work counts read from the tables the protocol routes already keep (nothing else changes them).
import type {Database} from './sqlite.js';
import {scoreOf, type Work} from './score.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS spot_checks(
	id INTEGER PRIMARY KEY, hotkey TEXT NOT NULL, layer INTEGER NOT NULL, epoch INTEGER NOT NULL,
	sample TEXT, outcome TEXT NOT NULL, cosine REAL, magnitude_ratio REAL, detail TEXT, at INTEGER NOT NULL,
	UNIQUE(hotkey, layer, epoch));
`;

export type SpotCheckRow = {
	hotkey: string;
	layer: number;
	epoch: number;
	sample: string | null;
	/** pass / fail count toward the score; skipped (nothing to check, model mismatch) does not. */
	outcome: 'pass' | 'fail' | 'skipped';
	cosine: number | null;
	magnitude_ratio: number | null;
	detail: string | null;
	at: number;
};

/** A submission not yet spot-checked, with the miner's last forward before it. */
export type PendingCheck = {hotkey: string; layer: number; epoch: number; weights_path: string; at: number};

export class ScoreBook {
	constructor(readonly db: Database) {
		db.exec(SCHEMA);
	}

	work(hotkey: string): Work {
		const m = this.db.prepare('SELECT total_backwards, weights_submitted, partitions_merged FROM miners WHERE hotkey = ?').get(hotkey) as
			| {total_backwards: number; weights_submitted: number; partitions_merged: number}
			| undefined;
		// A forward the miner published became a task for the next layer created by it.
		const forwards = (this.db.prepare("SELECT COUNT(*) AS n FROM tasks WHERE created_by = ? AND direction = 'forward'").get(hotkey) as {n: number}).n;
		return {forwards, backwards: m?.total_backwards ?? 0, weightsSubmitted: m?.weights_submitted ?? 0, partitionsMerged: m?.partitions_merged ?? 0};
	}

	checks(hotkey: string, limit = 20): SpotCheckRow[] {
		return this.db.prepare('SELECT hotkey, layer, epoch, sample, outcome, cosine, magnitude_ratio, detail, at FROM spot_checks WHERE hotkey = ? ORDER BY id DESC LIMIT ?').all(hotkey, limit) as unknown as SpotCheckRow[];
	}

	score(hotkey: string): number {
		const counted = this.checks(hotkey).filter(c => c.outcome !== 'skipped').map(c => c.outcome === 'pass');
		return scoreOf(this.work(hotkey), counted);
	}

	record(row: SpotCheckRow): void {
		this.db
			.prepare('INSERT OR REPLACE INTO spot_checks(hotkey, layer, epoch, sample, outcome, cosine, magnitude_ratio, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
			.run(row.hotkey, row.layer, row.epoch, row.sample, row.outcome, row.cosine, row.magnitude_ratio, row.detail, row.at);
	}

	/** Weight submissions that have no spot-check yet, oldest first. */
	pending(limit = 1): PendingCheck[] {
		return this.db
			.prepare(
				`SELECT s.hotkey, s.layer, s.epoch, s.weights_path, s.at FROM submissions s
				LEFT JOIN spot_checks c ON c.hotkey = s.hotkey AND c.layer = s.layer AND c.epoch = s.epoch
				WHERE c.id IS NULL ORDER BY s.at LIMIT ?`,
			)
			.all(limit) as unknown as PendingCheck[];
	}

	/**
	 * What the miner's latest forward on `layer` before `before` used and produced: the input key
	 * (null on layer 0), the token ids key (layer 0 and the tail), and the output key, or on the
	 * tail (which uploads no forward output) the loss it reported.
	 */
	lastForward(hotkey: string, layer: number, last: number, before: number): SampleKeys | undefined {
		const initial = (uid: string) => (this.db.prepare('SELECT initial_path FROM samples WHERE uid = ?').get(uid) as {initial_path: string | null} | undefined)?.initial_path ?? null;
		const inputOf = (uid: string) =>
			(this.db.prepare("SELECT path FROM tasks WHERE uid = ? AND layer = ? AND direction = 'forward' AND processing_by = ? ORDER BY id DESC LIMIT 1").get(uid, layer, hotkey) as {path: string} | undefined)?.path ?? null;
		if (layer === last && last > 0) {
			const loss = this.db.prepare('SELECT uid, loss FROM losses WHERE hotkey = ? AND at <= ? ORDER BY id DESC LIMIT 1').get(hotkey, before) as {uid: string; loss: number} | undefined;
			if (!loss) return undefined;
			return {uid: loss.uid, input: inputOf(loss.uid), ids: initial(loss.uid), output: null, loss: loss.loss};
		}
		const out = this.db
			.prepare("SELECT uid, path FROM tasks WHERE created_by = ? AND layer = ? AND direction = 'forward' AND created_at <= ? ORDER BY id DESC LIMIT 1")
			.get(hotkey, layer + 1, before) as {uid: string; path: string} | undefined;
		if (!out) return undefined;
		if (layer === 0) return {uid: out.uid, input: null, ids: initial(out.uid), output: out.path, loss: null};
		return {uid: out.uid, input: inputOf(out.uid), ids: null, output: out.path, loss: null};
	}
}

export type SampleKeys = {uid: string; input: string | null; ids: string | null; output: string | null; loss: number | null};
