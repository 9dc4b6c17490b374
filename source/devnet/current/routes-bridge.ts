// The bridge v2 registry on /bridge of the same server: unauthenticated as the real one, but
// body-limited, rate-limited per address and bounded in size (bridge.ts).
import {z} from 'zod';
import type {PyJson} from '../../orchestrator/canonical-json.js';
import {BridgeRegistry} from './bridge.js';
import type {CurrentCore} from './core.js';

const BRIDGE_BODY_LIMIT = 256 * 1024;
const MAX_ITEMS = 1000;
const VarId = z.string().min(1).max(512).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
const VarType = z.enum(['str', 'int', 'float', 'bool', 'dict', 'list', 'none']);
const WriteRule = z.enum(['LWW', 'CAS', 'LOCK']);
const Version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const RegisterBody = z.object({variables: z.array(z.object({var_id: VarId, default_value: z.unknown(), var_type: VarType, write_rule: WriteRule.default('LOCK')})).max(MAX_ITEMS)});
const GetBody = z.object({var_ids: z.array(VarId).max(MAX_ITEMS)});
const SetBody = z.object({updates: z.array(z.object({var_id: VarId, value: z.unknown(), current_version: Version.nullish(), lock_token: z.string().max(128).nullish()})).max(MAX_ITEMS)});
const LockBody = z.object({var_ids: z.array(VarId).min(1).max(64), ttl_ms: z.number().int().min(1).default(30_000), wait_ms: z.number().int().min(0).default(5000)});
const UnlockBody = z.object({locks: z.array(z.object({var_id: VarId, lock_token: z.string().max(128)})).max(MAX_ITEMS)});
const VarsQuery = z.strictObject({prefix: z.string().max(512).optional()});

/** The raw (float-keeping) values of `raw[listKey][i][valueKey]`: the schema saw plain numbers. */
const rawValues = (raw: PyJson | undefined, listKey: string, valueKey: string): PyJson[] => {
	const list = (raw as Record<string, PyJson> | undefined)?.[listKey];
	return Array.isArray(list) ? list.map(item => ((item as Record<string, PyJson>)[valueKey] ?? null)) : [];
};

export function registerBridgeRoutes(core: CurrentCore): BridgeRegistry {
	const s = core.settings;
	const registry = new BridgeRegistry({maxVariables: s.bridge_max_variables, maxValueBytes: s.bridge_max_value_bytes, idleTtlMs: s.bridge_idle_ttl_s * 1000, now: core.now, store: core.state.bridge});
	const opts = <B extends z.ZodType>(body: B) => ({auth: 'public' as const, body, maxBody: BRIDGE_BODY_LIMIT});

	core.route('POST', '/bridge/register', opts(RegisterBody), ({body, raw}) => {
		const values = rawValues(raw, 'variables', 'default_value');
		return registry.register(body.variables.map((v, i) => ({var_id: v.var_id, default_value: values[i] ?? null, var_type: v.var_type, write_rule: v.write_rule})));
	});
	core.route('POST', '/bridge/get', opts(GetBody), ({body}) => registry.get(body.var_ids));
	core.route('POST', '/bridge/set', opts(SetBody), ({body, raw}) => {
		const values = rawValues(raw, 'updates', 'value');
		return registry.set(body.updates.map((u, i) => ({var_id: u.var_id, value: values[i] ?? null, current_version: u.current_version, lock_token: u.lock_token})));
	});
	core.route('GET', '/bridge/vars', {auth: 'public', query: VarsQuery}, ({query}) => registry.list(query.prefix ?? ''));
	core.route('POST', '/bridge/lock', opts(LockBody), ({body}) => registry.lock(body.var_ids, body.ttl_ms, body.wait_ms));
	core.route('POST', '/bridge/unlock', opts(UnlockBody), ({body}) => registry.unlock(body.locks));
	core.route('POST', '/bridge/delete', opts(GetBody), ({body}) => registry.delete(body.var_ids));
	return registry;
}
