// The current orchestrator's durable state in SQLite (its own file): miners, layer phases, the run's
// epoch, plus the books of the queue, work, uploads and merges. A restart reopens it and loses nothing.
import type {LayerPhase} from '../../orchestrator/current/schemas.js';
import {openDatabase, transaction, type Database} from '../sqlite.js';
import {MergeBook} from './state-merge.js';
import {QueueBook} from './state-queue.js';
import {UploadBook} from './state-uploads.js';
import {WorkBook} from './state-work.js';
import {BridgeBook} from './state-bridge.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS miners(
	hotkey TEXT PRIMARY KEY, layer INTEGER NOT NULL, registered_at INTEGER NOT NULL, last_seen INTEGER NOT NULL,
	p2p_node_id TEXT NOT NULL, coldkey TEXT, payout_coldkey TEXT,
	forwards INTEGER NOT NULL DEFAULT 0, backwards_since_reset INTEGER NOT NULL DEFAULT 0,
	total_backwards INTEGER NOT NULL DEFAULT 0, losses_reported INTEGER NOT NULL DEFAULT 0, last_loss REAL,
	hash_mismatches INTEGER NOT NULL DEFAULT 0, weights_submitted INTEGER NOT NULL DEFAULT 0,
	partitions_merged INTEGER NOT NULL DEFAULT 0, state_calls INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS layers(
	layer INTEGER PRIMARY KEY, phase TEXT NOT NULL, phase_since INTEGER NOT NULL, in_cycle INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS run(
	id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL DEFAULT 0,
	cycle_open INTEGER NOT NULL DEFAULT 0, cycle_merged INTEGER NOT NULL DEFAULT 0, samples_served INTEGER NOT NULL DEFAULT 0);
`;

export interface MinerRow {
	hotkey: string;
	layer: number;
	registered_at: number;
	last_seen: number;
	p2p_node_id: string;
	coldkey: string | null;
	payout_coldkey: string | null;
	forwards: number;
	backwards_since_reset: number;
	total_backwards: number;
	losses_reported: number;
	last_loss: number | null;
	hash_mismatches: number;
	weights_submitted: number;
	partitions_merged: number;
	state_calls: number;
}

export interface LayerRow {
	layer: number;
	phase: LayerPhase;
	phase_since: number;
	in_cycle: number;
}

export interface RunRow {
	epoch: number;
	cycle_open: number;
	cycle_merged: number;
	samples_served: number;
}

type Counter = 'forwards' | 'backwards' | 'losses_reported' | 'hash_mismatches' | 'weights_submitted' | 'partitions_merged' | 'state_calls';

export class CurrentState {
	readonly db: Database;
	readonly queue: QueueBook;
	readonly work: WorkBook;
	readonly uploads: UploadBook;
	readonly merge: MergeBook;
	readonly bridge: BridgeBook;

	constructor(file: string, layers: number, now: number) {
		this.db = openDatabase(file);
		this.db.exec(SCHEMA);
		const insert = this.db.prepare("INSERT OR IGNORE INTO layers(layer, phase, phase_since) VALUES (?, 'training', ?)");
		for (let l = 0; l < layers; l++) insert.run(l, now);
		this.db.exec('INSERT OR IGNORE INTO run(id) VALUES (1)');
		this.queue = new QueueBook(this.db);
		this.work = new WorkBook(this.db);
		this.uploads = new UploadBook(this.db);
		this.merge = new MergeBook(this.db);
		this.bridge = new BridgeBook(this.db);
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
	minersInLayer(layer: number): MinerRow[] {
		return this.db.prepare('SELECT * FROM miners WHERE layer = ? ORDER BY hotkey').all(layer) as unknown as MinerRow[];
	}
	/** A new miner on `layer`, or a known one re-registering (its layer and counters stay). */
	upsertMiner(m: {hotkey: string; layer: number; p2p_node_id: string; coldkey: string | null}, now: number): void {
		this.db
			.prepare(
				`INSERT INTO miners(hotkey, layer, registered_at, last_seen, p2p_node_id, coldkey) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT(hotkey) DO UPDATE SET p2p_node_id = excluded.p2p_node_id, coldkey = COALESCE(excluded.coldkey, coldkey), last_seen = excluded.last_seen`,
			)
			.run(m.hotkey, m.layer, now, now, m.p2p_node_id, m.coldkey);
	}
	touch(hotkey: string, now: number): void {
		this.db.prepare('UPDATE miners SET last_seen = ? WHERE hotkey = ?').run(now, hotkey);
	}
	setPayoutColdkey(hotkey: string, coldkey: string): void {
		this.db.prepare('UPDATE miners SET payout_coldkey = ? WHERE hotkey = ?').run(coldkey, hotkey);
	}
	bump(hotkey: string, counter: Counter): void {
		const sql =
			counter === 'backwards'
				? 'UPDATE miners SET backwards_since_reset = backwards_since_reset + 1, total_backwards = total_backwards + 1 WHERE hotkey = ?'
				: `UPDATE miners SET ${counter} = ${counter} + 1 WHERE hotkey = ?`;
		this.db.prepare(sql).run(hotkey);
	}
	recordLossOn(hotkey: string, loss: number): void {
		this.db.prepare('UPDATE miners SET losses_reported = losses_reported + 1, last_loss = ? WHERE hotkey = ?').run(loss, hotkey);
	}
	resetBackwards(layer: number): void {
		this.db.prepare('UPDATE miners SET backwards_since_reset = 0 WHERE layer = ?').run(layer);
	}

	// ---- layers and the run
	layer(layer: number): LayerRow | undefined {
		return this.db.prepare('SELECT * FROM layers WHERE layer = ?').get(layer) as LayerRow | undefined;
	}
	layers(): LayerRow[] {
		return this.db.prepare('SELECT * FROM layers ORDER BY layer').all() as unknown as LayerRow[];
	}
	setPhase(layer: number, phase: LayerPhase, now: number, inCycle: boolean): void {
		this.db.prepare('UPDATE layers SET phase = ?, phase_since = ?, in_cycle = ? WHERE layer = ?').run(phase, now, inCycle ? 1 : 0, layer);
	}
	run(): RunRow {
		return this.db.prepare('SELECT epoch, cycle_open, cycle_merged, samples_served FROM run WHERE id = 1').get() as unknown as RunRow;
	}
	setCycle(open: boolean, merged: boolean): void {
		this.db.prepare('UPDATE run SET cycle_open = ?, cycle_merged = ? WHERE id = 1').run(open ? 1 : 0, merged ? 1 : 0);
	}
	markCycleMerged(): void {
		this.db.prepare('UPDATE run SET cycle_merged = 1 WHERE id = 1').run();
	}
	nextEpoch(): void {
		this.db.prepare('UPDATE run SET epoch = epoch + 1 WHERE id = 1').run();
	}
	/** The next sample index (round robin over the stored samples). */
	takeSample(count: number): number {
		const n = this.run().samples_served;
		this.db.prepare('UPDATE run SET samples_served = samples_served + 1 WHERE id = 1').run();
		return n % count;
	}
}
