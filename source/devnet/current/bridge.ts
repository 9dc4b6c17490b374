// The bridge v2 registry (sync_v2): variables with a write rule (LWW, CAS on versions, LOCK with
// tokens), in memory (written through to a store when given one) and bounded: a variable count, a value
// size, idle variables swept away.
import {randomUUID} from 'node:crypto';
import {canonicalJson, PyFloat, type PyJson} from '../../orchestrator/canonical-json.js';

export type VarType = 'str' | 'int' | 'float' | 'bool' | 'dict' | 'list' | 'none';
export type WriteRule = 'LWW' | 'CAS' | 'LOCK';

export interface Variable {
	value: PyJson;
	version: number;
	var_type: VarType;
	write_rule: WriteRule;
	updated_at: number;
	lock: {token: string; until: number} | null;
}

export interface BridgeLimits {
	maxVariables: number;
	maxValueBytes: number;
	idleTtlMs: number;
	now?: () => number;
	/** Where variables are kept across restarts (default: memory only). */
	store?: BridgeStore;
}

/** Durable copies of the variables: loaded once, written on every change. */
export interface BridgeStore {
	load(): Iterable<[string, Variable]>;
	save(id: string, v: Variable): void;
	remove(id: string): void;
}

type Result = {var_id: string; status: string; version?: number; error?: string};

/** Longest a lock may be held, and longest a /lock call may wait for one. */
export const MAX_LOCK_TTL_MS = 300_000;
export const MAX_LOCK_WAIT_MS = 10_000;
const LOCK_POLL_MS = 25;
const MAX_LISTED = 10_000;

/** Null when `value` fits `type` (null fits every type, as a registered default of None does). */
function typeError(type: VarType, value: PyJson): string | null {
	if (value === null) return null;
	const ok =
		type === 'str' ? typeof value === 'string'
		: type === 'int' ? typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))
		: type === 'float' ? typeof value === 'number' || typeof value === 'bigint' || value instanceof PyFloat
		: type === 'bool' ? typeof value === 'boolean'
		: type === 'list' ? Array.isArray(value)
		: type === 'dict' ? typeof value === 'object' && !Array.isArray(value) && !(value instanceof PyFloat)
		: false;
	return ok ? null : `TypeMismatch: value is not a ${type}`;
}

export class BridgeRegistry {
	private readonly vars = new Map<string, Variable>();
	private readonly now: () => number;

	constructor(private readonly limits: BridgeLimits) {
		this.now = limits.now ?? Date.now;
		for (const [id, v] of limits.store?.load() ?? []) this.vars.set(id, v);
	}

	private saved(id: string, v: Variable): void {
		this.limits.store?.save(id, v);
	}

	private removed(id: string): boolean {
		if (!this.vars.delete(id)) return false;
		this.limits.store?.remove(id);
		return true;
	}

	get size(): number {
		return this.vars.size;
	}

	private valueError(type: VarType, value: PyJson): string | null {
		if (Buffer.byteLength(canonicalJson(value)) > this.limits.maxValueBytes) return `ValueTooLarge: over ${this.limits.maxValueBytes} bytes`;
		return typeError(type, value);
	}

	/** Creates missing variables with their default; an existing one keeps its value (idempotent). */
	register(entries: {var_id: string; default_value: PyJson; var_type: VarType; write_rule: WriteRule}[]): {results: Result[]} {
		if (this.vars.size + entries.length > this.limits.maxVariables) this.sweep();
		const results = entries.map((e): Result => {
			const known = this.vars.get(e.var_id);
			if (known) return {var_id: e.var_id, status: 'already_registered', version: known.version};
			const bad = this.valueError(e.var_type, e.default_value);
			if (bad) return {var_id: e.var_id, status: 'error', error: bad};
			if (this.vars.size >= this.limits.maxVariables) return {var_id: e.var_id, status: 'error', error: 'RegistryFull: too many variables'};
			const v: Variable = {value: e.default_value, version: 1, var_type: e.var_type, write_rule: e.write_rule, updated_at: this.now(), lock: null};
			this.vars.set(e.var_id, v);
			this.saved(e.var_id, v);
			return {var_id: e.var_id, status: 'created', version: 1};
		});
		return {results};
	}

	/** Unknown ids are left out of `variables` (the client then keeps its cache), not errors. */
	get(ids: string[]) {
		const variables = [];
		for (const id of ids) {
			const v = this.vars.get(id);
			if (v) variables.push({var_id: id, value: v.value, version: v.version, metadata: {updated_at: new Date(v.updated_at).toISOString(), var_type: v.var_type, write_rule: v.write_rule}});
		}
		return {variables, errors: [] as Result[]};
	}

	/** Each update on its own, in order: CAS compares versions, LOCK needs the holder's token. */
	set(updates: {var_id: string; value: PyJson; current_version?: number | null; lock_token?: string | null}[]): {results: Result[]} {
		const now = this.now();
		const results = updates.map((u): Result => {
			const v = this.vars.get(u.var_id);
			if (!v) return {var_id: u.var_id, status: 'error', error: 'VariableNotFound'};
			if (v.write_rule === 'CAS' && u.current_version !== v.version) {
				return {var_id: u.var_id, status: 'error', version: v.version, error: `VersionConflict: current_version ${u.current_version ?? 'missing'}, version is ${v.version}`};
			}
			if (v.write_rule === 'LOCK' && (!v.lock || v.lock.until < now || v.lock.token !== u.lock_token)) {
				return {var_id: u.var_id, status: 'error', version: v.version, error: 'LockRequired: the lock is not held with this token'};
			}
			const bad = this.valueError(v.var_type, u.value);
			if (bad) return {var_id: u.var_id, status: 'error', version: v.version, error: bad};
			v.value = u.value;
			v.version += 1;
			v.updated_at = now;
			this.saved(u.var_id, v);
			return {var_id: u.var_id, status: 'updated', version: v.version};
		});
		return {results};
	}

	/** Ids starting with `prefix`, sorted, at most MAX_LISTED. */
	list(prefix: string) {
		const ids = [...this.vars.keys()].filter(id => id.startsWith(prefix)).sort().slice(0, MAX_LISTED);
		return ids.map(id => {
			const v = this.vars.get(id)!;
			return {var_id: id, version: v.version, var_type: v.var_type, write_rule: v.write_rule};
		});
	}

	/** Locks each id in turn, waiting up to waitMs in all; a busy one answers timeout (the client releases the rest). */
	async lock(ids: string[], ttlMs: number, waitMs: number) {
		const deadline = this.now() + Math.min(waitMs, MAX_LOCK_WAIT_MS);
		const ttl = Math.max(1, Math.min(ttlMs, MAX_LOCK_TTL_MS));
		const locks = [];
		for (const id of ids) {
			for (;;) {
				const v = this.vars.get(id);
				if (!v) {
					locks.push({var_id: id, status: 'error', error: 'VariableNotFound'});
					break;
				}
				const now = this.now();
				if (!v.lock || v.lock.until < now) {
					v.lock = {token: randomUUID(), until: now + ttl};
					this.saved(id, v);
					locks.push({var_id: id, status: 'locked', lock_token: v.lock.token, expires_at: new Date(v.lock.until).toISOString()});
					break;
				}
				if (now >= deadline) {
					locks.push({var_id: id, status: 'timeout', error: 'timeout'});
					break;
				}
				await new Promise(r => setTimeout(r, Math.min(LOCK_POLL_MS, deadline - now)));
			}
		}
		return {locks};
	}

	unlock(locks: {var_id: string; lock_token: string}[]): {results: Result[]} {
		const results = locks.map((l): Result => {
			const v = this.vars.get(l.var_id);
			if (!v?.lock || v.lock.token !== l.lock_token) return {var_id: l.var_id, status: 'error', error: 'LockNotHeld'};
			v.lock = null;
			this.saved(l.var_id, v);
			return {var_id: l.var_id, status: 'unlocked'};
		});
		return {results};
	}

	delete(ids: string[]): {results: Result[]} {
		return {results: ids.map(id => ({var_id: id, status: this.removed(id) ? 'deleted' : 'not_found'}))};
	}

	/** Drops variables nobody wrote for idleTtlMs (miners evict stale entries anyway after 300 s). */
	sweep(): number {
		const cutoff = this.now() - this.limits.idleTtlMs;
		let n = 0;
		for (const [id, v] of this.vars) {
			if (v.updated_at < cutoff && (!v.lock || v.lock.until < this.now())) {
				this.removed(id);
				n++;
			}
		}
		return n;
	}
}
