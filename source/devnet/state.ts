// The orchestrator's durable state in SQLite: miners, layers and their phases, samples and the
// activation tasks that move them through the pipeline, caches, weight submissions, merge plans,
// merged partitions and losses. A restart reopens the same file and loses nothing.
import {openDatabase, transaction, type Database} from './sqlite.js';
import type {MergingPhase, Partition} from '../orchestrator/schemas.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS miners(
	hotkey TEXT PRIMARY KEY, layer INTEGER NOT NULL, registered_at INTEGER NOT NULL,
	backwards_since_reset INTEGER NOT NULL DEFAULT 0, total_backwards INTEGER NOT NULL DEFAULT 0,
	losses_reported INTEGER NOT NULL DEFAULT 0, last_loss REAL,
	weights_submitted INTEGER NOT NULL DEFAULT 0, partitions_merged INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS layers(
	layer INTEGER PRIMARY KEY, phase TEXT NOT NULL, phase_since INTEGER NOT NULL,
	epoch INTEGER NOT NULL DEFAULT 0, num_sections INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS samples(
	uid TEXT PRIMARY KEY, initial_path TEXT, created_by TEXT NOT NULL, created_at INTEGER NOT NULL,
	completed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tasks(
	id INTEGER PRIMARY KEY, uid TEXT NOT NULL, layer INTEGER NOT NULL, direction TEXT NOT NULL,
	path TEXT NOT NULL, owner TEXT, state TEXT NOT NULL, processing_by TEXT, processing_since INTEGER,
	created_by TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_pick ON tasks(layer, state, direction);
CREATE TABLE IF NOT EXISTS cache(
	hotkey TEXT NOT NULL, uid TEXT NOT NULL, layer INTEGER NOT NULL, created_at INTEGER NOT NULL,
	PRIMARY KEY(hotkey, uid));
CREATE TABLE IF NOT EXISTS submissions(
	layer INTEGER NOT NULL, epoch INTEGER NOT NULL, hotkey TEXT NOT NULL, weights_path TEXT NOT NULL,
	weight_metadata_path TEXT NOT NULL, optimizer_state_path TEXT NOT NULL,
	optimizer_state_metadata_path TEXT NOT NULL, weighting_factor REAL NOT NULL, at INTEGER NOT NULL,
	PRIMARY KEY(layer, epoch, hotkey));
CREATE TABLE IF NOT EXISTS assignments(
	layer INTEGER NOT NULL, epoch INTEGER NOT NULL, chunk INTEGER NOT NULL, hotkey TEXT NOT NULL,
	PRIMARY KEY(layer, epoch, chunk, hotkey));
CREATE TABLE IF NOT EXISTS partitions(
	layer INTEGER NOT NULL, epoch INTEGER NOT NULL, chunk INTEGER NOT NULL, hotkey TEXT NOT NULL,
	json TEXT NOT NULL, PRIMARY KEY(layer, epoch, chunk));
CREATE TABLE IF NOT EXISTS layer_weights(
	layer INTEGER NOT NULL, chunk INTEGER NOT NULL, epoch INTEGER NOT NULL, json TEXT NOT NULL,
	PRIMARY KEY(layer, chunk));
CREATE TABLE IF NOT EXISTS losses(
	id INTEGER PRIMARY KEY, hotkey TEXT NOT NULL, uid TEXT NOT NULL, loss REAL NOT NULL, at INTEGER NOT NULL);
`;

export interface MinerRow {
	hotkey: string;
	layer: number;
	registered_at: number;
	backwards_since_reset: number;
	total_backwards: number;
	losses_reported: number;
	last_loss: number | null;
	weights_submitted: number;
	partitions_merged: number;
}

export interface LayerState {
	layer: number;
	phase: MergingPhase;
	phase_since: number;
	epoch: number;
	num_sections: number;
}

export interface TaskRow {
	id: number;
	uid: string;
	layer: number;
	direction: 'forward' | 'backward';
	path: string;
	owner: string | null;
	state: 'available' | 'processing' | 'done' | 'archived';
	processing_by: string | null;
	processing_since: number | null;
}

export interface SampleRow {
	uid: string;
	initial_path: string | null;
	created_by: string;
	completed: number;
}

export interface SubmissionRow {
	hotkey: string;
	weights_path: string;
	weight_metadata_path: string;
	optimizer_state_path: string;
	optimizer_state_metadata_path: string;
	weighting_factor: number;
}

export class OrchestratorState {
	readonly db: Database;

	constructor(file: string, layers: number, now: number) {
		this.db = openDatabase(file);
		this.db.exec(SCHEMA);
		const insert = this.db.prepare("INSERT OR IGNORE INTO layers(layer, phase, phase_since) VALUES (?, 'is_training', ?)");
		for (let l = 0; l < layers; l++) insert.run(l, now);
	}

	close(): void {
		this.db.close();
	}

	tx<T>(fn: () => T): T {
		return transaction(this.db, fn);
	}

	// ---- miners
	miner(hotkey: string): MinerRow | undefined {
		return this.db.prepare('SELECT * FROM miners WHERE hotkey = ?').get(hotkey) as MinerRow | undefined;
	}
	miners(): MinerRow[] {
		return this.db.prepare('SELECT * FROM miners ORDER BY registered_at, hotkey').all() as unknown as MinerRow[];
	}
	addMiner(hotkey: string, layer: number, now: number): void {
		this.db.prepare('INSERT INTO miners(hotkey, layer, registered_at) VALUES (?, ?, ?)').run(hotkey, layer, now);
	}
	minersInLayer(layer: number): MinerRow[] {
		return this.db.prepare('SELECT * FROM miners WHERE layer = ? ORDER BY hotkey').all(layer) as unknown as MinerRow[];
	}
	bump(hotkey: string, column: 'backwards' | 'weights_submitted' | 'partitions_merged'): void {
		const sql =
			column === 'backwards'
				? 'UPDATE miners SET backwards_since_reset = backwards_since_reset + 1, total_backwards = total_backwards + 1 WHERE hotkey = ?'
				: `UPDATE miners SET ${column} = ${column} + 1 WHERE hotkey = ?`;
		this.db.prepare(sql).run(hotkey);
	}
	recordLoss(hotkey: string, uid: string, loss: number, now: number): void {
		this.db.prepare('INSERT INTO losses(hotkey, uid, loss, at) VALUES (?, ?, ?, ?)').run(hotkey, uid, loss, now);
		this.db.prepare('UPDATE miners SET losses_reported = losses_reported + 1, last_loss = ? WHERE hotkey = ?').run(loss, hotkey);
	}

	// ---- layers
	layer(layer: number): LayerState | undefined {
		return this.db.prepare('SELECT * FROM layers WHERE layer = ?').get(layer) as LayerState | undefined;
	}
	layers(): LayerState[] {
		return this.db.prepare('SELECT * FROM layers ORDER BY layer').all() as unknown as LayerState[];
	}
	setPhase(layer: number, phase: MergingPhase, now: number, numSections?: number): void {
		if (numSections === undefined) this.db.prepare('UPDATE layers SET phase = ?, phase_since = ? WHERE layer = ?').run(phase, now, layer);
		else this.db.prepare('UPDATE layers SET phase = ?, phase_since = ?, num_sections = ? WHERE layer = ?').run(phase, now, numSections, layer);
	}

	// ---- samples, tasks and caches
	sample(uid: string): SampleRow | undefined {
		return this.db.prepare('SELECT * FROM samples WHERE uid = ?').get(uid) as SampleRow | undefined;
	}
	upsertSample(uid: string, initialPath: string | null, hotkey: string, now: number): void {
		this.db
			.prepare('INSERT INTO samples(uid, initial_path, created_by, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(uid) DO UPDATE SET initial_path = COALESCE(excluded.initial_path, initial_path)')
			.run(uid, initialPath, hotkey, now);
	}
	completeSample(uid: string): void {
		this.db.prepare('UPDATE samples SET completed = 1 WHERE uid = ?').run(uid);
	}
	completedSamples(): number {
		return (this.db.prepare('SELECT COUNT(*) AS n FROM samples WHERE completed = 1').get() as {n: number}).n;
	}
	addTask(uid: string, layer: number, direction: 'forward' | 'backward', path: string, owner: string | null, createdBy: string, now: number): void {
		this.db
			.prepare("INSERT INTO tasks(uid, layer, direction, path, owner, state, created_by, created_at) VALUES (?, ?, ?, ?, ?, 'available', ?, ?)")
			.run(uid, layer, direction, path, owner, createdBy, now);
	}
	/**
	 * Processing tasks older than `cutoff`. A forward goes back to the pool (anyone may do it). A backward
	 * can only be done by the miner holding its forward input, so one that timed out means that input is
	 * gone (a restarted miner): the sample is dropped on every layer, freeing the caches that held it.
	 * Cache rows older than `cacheCutoff` go too (v1's activation cache timeout). Returns tasks reclaimed.
	 */
	reclaimExpired(cutoff: number, cacheCutoff = 0): number {
		const dead = this.db.prepare("SELECT uid FROM tasks WHERE state = 'processing' AND direction = 'backward' AND processing_since < ?").all(cutoff) as {uid: string}[];
		for (const {uid} of dead) this.dropSample(uid);
		this.db.prepare('DELETE FROM cache WHERE created_at < ?').run(cacheCutoff);
		const back = this.db
			.prepare("UPDATE tasks SET state = 'available', processing_by = NULL, processing_since = NULL WHERE state = 'processing' AND direction = 'forward' AND processing_since < ?")
			.run(cutoff).changes;
		return dead.length + Number(back);
	}
	/** A sample nobody can finish: its pending tasks are archived and every cache row for it dropped. */
	dropSample(uid: string): void {
		this.db.prepare("UPDATE tasks SET state = 'archived' WHERE uid = ? AND state IN ('available', 'processing')").run(uid);
		this.db.prepare('DELETE FROM cache WHERE uid = ?').run(uid);
	}
	nextTask(layer: number, direction: 'forward' | 'backward', owner: string | null): TaskRow | undefined {
		const sql =
			owner === null
				? "SELECT * FROM tasks WHERE layer = ? AND direction = ? AND state = 'available' AND owner IS NULL ORDER BY id LIMIT 1"
				: "SELECT * FROM tasks WHERE layer = ? AND direction = ? AND state = 'available' AND owner = ? ORDER BY id LIMIT 1";
		const stmt = this.db.prepare(sql);
		return (owner === null ? stmt.get(layer, direction) : stmt.get(layer, direction, owner)) as TaskRow | undefined;
	}
	takeTask(id: number, hotkey: string, now: number): void {
		this.db.prepare("UPDATE tasks SET state = 'processing', processing_by = ?, processing_since = ? WHERE id = ?").run(hotkey, now, id);
	}
	heldTask(uid: string, layer: number, direction: 'forward' | 'backward', hotkey: string): TaskRow | undefined {
		return this.db
			.prepare("SELECT * FROM tasks WHERE uid = ? AND layer = ? AND direction = ? AND state = 'processing' AND processing_by = ?")
			.get(uid, layer, direction, hotkey) as TaskRow | undefined;
	}
	/** Whether a task for this sample step was ever queued (in any state). */
	hasTask(uid: string, layer: number, direction: 'forward' | 'backward'): boolean {
		return Boolean(this.db.prepare('SELECT 1 FROM tasks WHERE uid = ? AND layer = ? AND direction = ?').get(uid, layer, direction));
	}
	/** Whether this task was handed to `hotkey` (and not taken back on a timeout since). */
	handedTo(uid: string, layer: number, direction: 'forward' | 'backward', hotkey: string): boolean {
		return Boolean(this.db.prepare("SELECT 1 FROM tasks WHERE uid = ? AND layer = ? AND direction = ? AND processing_by = ? AND state != 'available'").get(uid, layer, direction, hotkey));
	}
	lossReported(hotkey: string, uid: string): boolean {
		return Boolean(this.db.prepare('SELECT 1 FROM losses WHERE hotkey = ? AND uid = ?').get(hotkey, uid));
	}
	finishTask(id: number): void {
		this.db.prepare("UPDATE tasks SET state = 'done' WHERE id = ?").run(id);
	}
	taskCount(state: TaskRow['state']): number {
		return (this.db.prepare('SELECT COUNT(*) AS n FROM tasks WHERE state = ?').get(state) as {n: number}).n;
	}
	/** Activations this miner holds: cached forward inputs plus forward tasks it is processing. */
	held(hotkey: string): number {
		const cached = (this.db.prepare('SELECT COUNT(*) AS n FROM cache WHERE hotkey = ?').get(hotkey) as {n: number}).n;
		const processing = (this.db.prepare("SELECT COUNT(*) AS n FROM tasks WHERE processing_by = ? AND state = 'processing' AND direction = 'forward'").get(hotkey) as {n: number}).n;
		return cached + processing;
	}
	addCache(hotkey: string, uid: string, layer: number, now: number): void {
		this.db.prepare('INSERT OR REPLACE INTO cache(hotkey, uid, layer, created_at) VALUES (?, ?, ?, ?)').run(hotkey, uid, layer, now);
	}
	cacheOwner(uid: string, layer: number): string | undefined {
		return (this.db.prepare('SELECT hotkey FROM cache WHERE uid = ? AND layer = ?').get(uid, layer) as {hotkey: string} | undefined)?.hotkey;
	}
	dropCache(hotkey: string, uid: string): boolean {
		return this.db.prepare('DELETE FROM cache WHERE hotkey = ? AND uid = ?').run(hotkey, uid).changes > 0;
	}
	isActive(layer: number, uid: string): boolean {
		const cached = this.db.prepare('SELECT 1 FROM cache WHERE uid = ? AND layer = ?').get(uid, layer);
		const pending = this.db.prepare("SELECT 1 FROM tasks WHERE uid = ? AND layer = ? AND state IN ('available', 'processing')").get(uid, layer);
		return Boolean(cached || pending);
	}
	/** After a merge: the layer's activations are archived and its caches and counters reset. */
	archiveLayer(layer: number): void {
		// Samples cut here are dead everywhere: drop their cache rows on every layer too, or the
		// previous layer's miner keeps them as held activations forever (cache_limit deadlock).
		this.db.prepare("DELETE FROM cache WHERE uid IN (SELECT uid FROM tasks WHERE layer = ? AND state IN ('available', 'processing'))").run(layer);
		this.db.prepare("UPDATE tasks SET state = 'archived' WHERE layer = ? AND state IN ('available', 'processing')").run(layer);
		this.db.prepare('DELETE FROM cache WHERE layer = ?').run(layer);
		this.db.prepare('UPDATE miners SET backwards_since_reset = 0 WHERE layer = ?').run(layer);
	}

	// ---- weights, merge plans and partitions
	upsertSubmission(layer: number, epoch: number, s: SubmissionRow, now: number): void {
		this.db
			.prepare(
				`INSERT OR REPLACE INTO submissions(layer, epoch, hotkey, weights_path, weight_metadata_path, optimizer_state_path,
				optimizer_state_metadata_path, weighting_factor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			)
			.run(layer, epoch, s.hotkey, s.weights_path, s.weight_metadata_path, s.optimizer_state_path, s.optimizer_state_metadata_path, s.weighting_factor, now);
	}
	submissions(layer: number, epoch: number): SubmissionRow[] {
		return this.db
			.prepare('SELECT hotkey, weights_path, weight_metadata_path, optimizer_state_path, optimizer_state_metadata_path, weighting_factor FROM submissions WHERE layer = ? AND epoch = ? ORDER BY hotkey')
			.all(layer, epoch) as unknown as SubmissionRow[];
	}
	addAssignment(layer: number, epoch: number, chunk: number, hotkey: string): void {
		this.db.prepare('INSERT OR IGNORE INTO assignments(layer, epoch, chunk, hotkey) VALUES (?, ?, ?, ?)').run(layer, epoch, chunk, hotkey);
	}
	chunksFor(layer: number, epoch: number, hotkey: string): number[] {
		return (this.db.prepare('SELECT chunk FROM assignments WHERE layer = ? AND epoch = ? AND hotkey = ? ORDER BY chunk').all(layer, epoch, hotkey) as {chunk: number}[]).map(r => r.chunk);
	}
	/** True when this partition is the first for its chunk (the one kept). */
	addPartition(layer: number, epoch: number, p: Partition): boolean {
		return this.db
			.prepare('INSERT OR IGNORE INTO partitions(layer, epoch, chunk, hotkey, json) VALUES (?, ?, ?, ?, ?)')
			.run(layer, epoch, p.chunk_number, p.miner_hotkey, JSON.stringify(p)).changes > 0;
	}
	partitionCount(layer: number, epoch: number): number {
		return (this.db.prepare('SELECT COUNT(*) AS n FROM partitions WHERE layer = ? AND epoch = ?').get(layer, epoch) as {n: number}).n;
	}
	/** Abandon an epoch's submissions, plan and partitions (phase timeout). */
	clearEpoch(layer: number, epoch: number): void {
		for (const table of ['submissions', 'assignments', 'partitions']) {
			this.db.prepare(`DELETE FROM ${table} WHERE layer = ? AND epoch = ?`).run(layer, epoch);
		}
	}
	/** The merged partitions of `epoch` become the layer's weights; the layer moves to epoch + 1. */
	promotePartitions(layer: number, epoch: number): void {
		this.db.prepare('DELETE FROM layer_weights WHERE layer = ?').run(layer);
		this.db
			.prepare('INSERT INTO layer_weights(layer, chunk, epoch, json) SELECT layer, chunk, epoch, json FROM partitions WHERE layer = ? AND epoch = ?')
			.run(layer, epoch);
		this.db.prepare('UPDATE layers SET epoch = epoch + 1 WHERE layer = ?').run(layer);
	}
	layerWeights(layer: number): Partition[] {
		return (this.db.prepare('SELECT json FROM layer_weights WHERE layer = ? ORDER BY chunk').all(layer) as {json: string}[]).map(r => JSON.parse(r.json) as Partition);
	}
}
