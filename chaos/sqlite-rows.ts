// Reads the orchestrator's SQLite file beside the running orchestrator (read-only): the keys of the
// tables that only grow, to show a kill lost nothing that was committed.
import {DatabaseSync} from 'node:sqlite';

const KEYS: Record<string, string> = {
	activations: "activation_id || ' ' || layer || ' ' || direction",
	handed: 'activation_id',
	losses: "hotkey || ' ' || activation_id",
	miners: 'hotkey',
};

export function committedKeys(file: string): Map<string, Set<string>> {
	const db = new DatabaseSync(file, {readOnly: true});
	try {
		return new Map(Object.entries(KEYS).map(([table, key]) => [table, new Set((db.prepare(`SELECT ${key} AS k FROM ${table}`).all() as {k: string}[]).map(r => r.k))]));
	} finally {
		db.close();
	}
}

/** Keys present before and missing after, per table. */
export function missing(before: Map<string, Set<string>>, after: Map<string, Set<string>>): number {
	let n = 0;
	for (const [table, keys] of before) for (const k of keys) if (!after.get(table)?.has(k)) n++;
	return n;
}

export const rowCount = (keys: Map<string, Set<string>>) => [...keys.values()].reduce((n, s) => n + s.size, 0);
