// Training work as miners report it: layer-0 hand-outs, submitted activations with their BLAKE3
// hashes, hash-chain mismatches (who produced what, who consumed something else) and losses.
import type {Database} from '../sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS handed(
	activation_id TEXT PRIMARY KEY, hotkey TEXT NOT NULL, sample_key TEXT NOT NULL, spot_key TEXT, handed_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS handed_hotkey ON handed(hotkey, handed_at);
CREATE TABLE IF NOT EXISTS activations(
	activation_id TEXT NOT NULL, layer INTEGER NOT NULL, direction TEXT NOT NULL, hotkey TEXT NOT NULL,
	input_hash TEXT, output_hash TEXT, path TEXT, epoch INTEGER NOT NULL, at INTEGER NOT NULL,
	PRIMARY KEY(activation_id, layer, direction));
CREATE INDEX IF NOT EXISTS activations_hotkey ON activations(hotkey);
CREATE TABLE IF NOT EXISTS hash_mismatches(
	id INTEGER PRIMARY KEY, activation_id TEXT NOT NULL, producer_layer INTEGER NOT NULL, producer_direction TEXT NOT NULL,
	producer TEXT NOT NULL, consumer_layer INTEGER NOT NULL, consumer_direction TEXT NOT NULL, consumer TEXT NOT NULL,
	produced TEXT NOT NULL, consumed TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS losses(
	hotkey TEXT NOT NULL, activation_id TEXT NOT NULL, loss REAL NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(hotkey, activation_id));
`;

export type Direction = 'forward' | 'backward';
export type Step = {layer: number; direction: Direction};

export interface HandedRow {
	activation_id: string;
	hotkey: string;
	sample_key: string;
	spot_key: string | null;
	handed_at: number;
}

export interface ActivationRow extends Step {
	activation_id: string;
	hotkey: string;
	input_hash: string | null;
	output_hash: string | null;
	path: string | null;
	epoch: number;
	at: number;
}

export interface MismatchRow {
	activation_id: string;
	producer_layer: number;
	producer_direction: Direction;
	producer: string;
	consumer_layer: number;
	consumer_direction: Direction;
	consumer: string;
	produced: string;
	consumed: string;
	at: number;
}

/**
 * The step whose output this step takes as input: a forward takes the previous layer's forward;
 * a backward takes the next layer's backward (its gradient), and the last layer's backward takes
 * the forward activation it was pushed.
 */
export function producerOf(s: Step, last: number): Step | null {
	if (s.direction === 'forward') return s.layer === 0 ? null : {layer: s.layer - 1, direction: 'forward'};
	if (s.layer === last) return last === 0 ? null : {layer: last - 1, direction: 'forward'};
	return {layer: s.layer + 1, direction: 'backward'};
}

/** The steps that take this step's output as input (the inverse of producerOf). */
export function consumersOf(s: Step, last: number): Step[] {
	if (s.direction === 'backward') return s.layer > 0 ? [{layer: s.layer - 1, direction: 'backward'}] : [];
	if (s.layer >= last) return [];
	const out: Step[] = [{layer: s.layer + 1, direction: 'forward'}];
	if (s.layer + 1 === last) out.push({layer: last, direction: 'backward'});
	return out;
}

export class WorkBook {
	constructor(readonly db: Database) {
		db.exec(SCHEMA);
	}

	hand(h: HandedRow): void {
		this.db.prepare('INSERT INTO handed(activation_id, hotkey, sample_key, spot_key, handed_at) VALUES (?, ?, ?, ?, ?)').run(h.activation_id, h.hotkey, h.sample_key, h.spot_key, h.handed_at);
	}
	handed(activationId: string): HandedRow | undefined {
		return this.db.prepare('SELECT * FROM handed WHERE activation_id = ?').get(activationId) as HandedRow | undefined;
	}
	/** Activations handed to this miner since `since` whose forward it has not submitted yet. */
	outstanding(hotkey: string, since: number): number {
		return (
			this.db
				.prepare(
					`SELECT COUNT(*) AS n FROM handed h WHERE h.hotkey = ? AND h.handed_at >= ?
					AND NOT EXISTS (SELECT 1 FROM activations a WHERE a.activation_id = h.activation_id AND a.layer = 0 AND a.direction = 'forward')`,
				)
				.get(hotkey, since) as {n: number}
		).n;
	}

	activation(activationId: string, s: Step): ActivationRow | undefined {
		return this.db.prepare('SELECT * FROM activations WHERE activation_id = ? AND layer = ? AND direction = ?').get(activationId, s.layer, s.direction) as ActivationRow | undefined;
	}
	/** False when this step of this activation was already submitted. */
	addActivation(r: ActivationRow): boolean {
		return (
			this.db
				.prepare('INSERT OR IGNORE INTO activations(activation_id, layer, direction, hotkey, input_hash, output_hash, path, epoch, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
				.run(r.activation_id, r.layer, r.direction, r.hotkey, r.input_hash, r.output_hash, r.path, r.epoch, r.at).changes > 0
		);
	}
	activationCount(hotkey: string, direction: Direction): number {
		return (this.db.prepare('SELECT COUNT(*) AS n FROM activations WHERE hotkey = ? AND direction = ?').get(hotkey, direction) as {n: number}).n;
	}

	addMismatch(m: MismatchRow): void {
		this.db
			.prepare(
				`INSERT INTO hash_mismatches(activation_id, producer_layer, producer_direction, producer, consumer_layer, consumer_direction, consumer, produced, consumed, at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			)
			.run(m.activation_id, m.producer_layer, m.producer_direction, m.producer, m.consumer_layer, m.consumer_direction, m.consumer, m.produced, m.consumed, m.at);
	}
	/** Mismatches a miner took part in (as producer or consumer), newest first. */
	mismatches(hotkey?: string, limit = 100): MismatchRow[] {
		const cols = 'activation_id, producer_layer, producer_direction, producer, consumer_layer, consumer_direction, consumer, produced, consumed, at';
		if (hotkey === undefined) return this.db.prepare(`SELECT ${cols} FROM hash_mismatches ORDER BY id DESC LIMIT ?`).all(limit) as unknown as MismatchRow[];
		return this.db.prepare(`SELECT ${cols} FROM hash_mismatches WHERE producer = ? OR consumer = ? ORDER BY id DESC LIMIT ?`).all(hotkey, hotkey, limit) as unknown as MismatchRow[];
	}

	/** False when this miner already reported a loss for this activation. */
	addLoss(hotkey: string, activationId: string, loss: number, now: number): boolean {
		return this.db.prepare('INSERT OR IGNORE INTO losses(hotkey, activation_id, loss, at) VALUES (?, ?, ?, ?)').run(hotkey, activationId, loss, now).changes > 0;
	}
}
