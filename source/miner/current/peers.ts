// The bridge v2 peer registry (sync_v2): this miner's ComputeNode entry (one CAS variable per field),
// kept alive every 5 s (every field, registered again if swept), everyone else's entries pulled every 2 s;
// entries silent for 300 s are evicted.
import {errorMessage} from '../../errors.js';
import {send} from '../../orchestrator/http.js';
import type {PeerAddr} from '../../p2p/node.js';

export const KEEPALIVE_MS = 5000;
export const PULL_MS = 2000;
export const EVICT_S = 300;
const MAX_IDS_PER_GET = 1000;

export type PeerEntry = {hotkey: string; nodeId: string; addr: PeerAddr; layer: number | null; lastKeepalive: number};

export type RegistryOptions = {
	/** e.g. http://127.0.0.1:8000/bridge */
	url: string;
	runId: string;
	hotkey: string;
	layer: number;
	/** Our node id and addresses (asked again at each keepalive: they may change). */
	self: () => PeerAddr;
	signal: AbortSignal;
	log: (level: 'info' | 'warn', text: string) => void;
	keepaliveMs?: number;
	pullMs?: number;
	now?: () => number;
};

type Var = {var_id: string; value: unknown; version: number};
type Field = 'node_id' | 'p2p_node_ids' | 'iroh_relay_url' | 'iroh_direct_addresses' | 'groups' | 'joined_at' | 'last_keepalive' | 'runtime_metrics';
const TYPES: Record<Field, string> = {node_id: 'str', p2p_node_ids: 'list', iroh_relay_url: 'str', iroh_direct_addresses: 'list', groups: 'list', joined_at: 'float', last_keepalive: 'float', runtime_metrics: 'dict'};

/** sync_v2 keys: run-{sanitised run id}/node_registry/{slug(hotkey)}/{field}. */
const sanitise = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
export const registryPrefix = (runId: string) => `run-${sanitise(runId)}/node_registry/`;

export class PeerRegistry {
	private entries = new Map<string, PeerEntry>();
	private versions = new Map<string, number>();
	private timers: NodeJS.Timeout[] = [];
	private readonly now: () => number;
	private readonly joinedAt: number;
	private layer: number;
	private warned = false;

	constructor(private readonly o: RegistryOptions) {
		this.now = o.now ?? Date.now;
		this.joinedAt = this.now() / 1000;
		this.layer = o.layer;
	}

	private id(field: Field, hotkey = this.o.hotkey): string {
		return `${registryPrefix(this.o.runId)}${sanitise(hotkey)}/${field}`;
	}

	private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
		const res = await send(`${this.o.url.replace(/\/+$/, '')}${path}`, {method, headers: body === undefined ? {} : {'Content-Type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: 10_000, maxBytes: 8 * 1024 * 1024, signal: this.o.signal});
		if (res.status !== 200) throw new Error(`bridge ${path}: HTTP ${res.status}`);
		return JSON.parse(res.text);
	}

	private ownValues(): Record<Field, unknown> {
		const a = this.o.self();
		return {
			node_id: this.o.hotkey,
			p2p_node_ids: [a.nodeId],
			iroh_relay_url: a.relayUrl ?? null,
			iroh_direct_addresses: a.directAddresses ?? [],
			groups: ['all', `layer-${this.layer}`],
			joined_at: this.joinedAt,
			last_keepalive: this.now() / 1000,
			runtime_metrics: {},
		};
	}

	/** Registers our entry (or overwrites the one a previous run of this hotkey left), then starts the timers. */
	async start(): Promise<void> {
		await this.register();
		await this.pull().catch(() => {});
		this.every(this.o.keepaliveMs ?? KEEPALIVE_MS, () => this.keepalive());
		this.every(this.o.pullMs ?? PULL_MS, () => this.pull());
	}

	/** Creates our variables where missing, learns their versions, and writes every field. */
	private async register(): Promise<void> {
		const values = this.ownValues();
		const fields = Object.keys(values) as Field[];
		await this.call('POST', '/register', {variables: fields.map(f => ({var_id: this.id(f), default_value: values[f], var_type: TYPES[f], write_rule: 'CAS'}))});
		const got = await this.call('POST', '/get', {var_ids: fields.map(f => this.id(f))});
		for (const v of (got.variables ?? []) as Var[]) this.versions.set(v.var_id, v.version);
		await this.write(values);
	}

	/** A new layer after a re-registration: the groups change with it. */
	async setLayer(layer: number): Promise<void> {
		if (layer === this.layer) return;
		this.layer = layer;
		await this.write(this.ownValues());
	}

	private every(ms: number, fn: () => Promise<void>): void {
		let busy = false;
		const t = setInterval(() => {
			if (busy || this.o.signal.aborted) return;
			busy = true;
			void fn()
				.then(() => (this.warned = false))
				.catch(e => {
					if (!this.warned && !this.o.signal.aborted) this.o.log('warn', `peer registry: ${errorMessage(e)}`);
					this.warned = true;
				})
				.finally(() => (busy = false));
		}, ms);
		t.unref();
		this.timers.push(t);
	}

	/** CAS writes; a version conflict (someone else wrote, or our restart) is retried once at the version it reports. */
	private async write(values: Partial<Record<Field, unknown>>): Promise<'ok' | 'conflict' | 'missing'> {
		const fields = Object.keys(values) as Field[];
		const updates = () => fields.map(f => ({var_id: this.id(f), value: values[f], current_version: this.versions.get(this.id(f)) ?? 1}));
		for (let attempt = 0; attempt < 2; attempt++) {
			const r = await this.call('POST', '/set', {updates: updates()});
			let conflicts = 0;
			for (const x of (r.results ?? []) as {var_id: string; status: string; version?: number; error?: string}[]) {
				if (x.error?.startsWith('VariableNotFound')) return 'missing';
				if (typeof x.version === 'number') this.versions.set(x.var_id, x.version);
				if (x.status !== 'updated') conflicts++;
			}
			if (conflicts === 0) return 'ok';
		}
		return 'conflict';
	}

	/**
	 * Every field, not only the clock: a registry sweeps variables nobody wrote for a while (the devnet's
	 * after an hour), and an entry missing its node id or groups is no peer at all. A swept variable is
	 * registered again.
	 */
	private async keepalive(): Promise<void> {
		if ((await this.write(this.ownValues())) === 'missing') await this.register();
	}

	/** Every entry of the run, ours left out, stale ones evicted. */
	async pull(): Promise<void> {
		const prefix = registryPrefix(this.o.runId);
		const listed = (await this.call('GET', `/vars?prefix=${encodeURIComponent(prefix)}`)) as {var_id: string}[];
		const ids = listed.map(v => v.var_id).filter(id => /\/(node_id|p2p_node_ids|iroh_relay_url|iroh_direct_addresses|groups|last_keepalive)$/.test(id));
		const byHotkey = new Map<string, Partial<Record<Field, unknown>>>();
		for (let i = 0; i < ids.length; i += MAX_IDS_PER_GET) {
			const got = await this.call('POST', '/get', {var_ids: ids.slice(i, i + MAX_IDS_PER_GET)});
			for (const v of (got.variables ?? []) as Var[]) {
				const [slug, field] = v.var_id.slice(prefix.length).split('/') as [string, Field];
				if (!byHotkey.has(slug)) byHotkey.set(slug, {});
				byHotkey.get(slug)![field] = v.value;
			}
		}
		const fresh = new Map<string, PeerEntry>();
		const cutoff = this.now() / 1000 - EVICT_S;
		for (const [slug, f] of byHotkey) {
			const e = toEntry(slug, f);
			if (e && e.hotkey !== this.o.hotkey && e.lastKeepalive >= cutoff) fresh.set(e.nodeId, e);
		}
		this.entries = fresh;
	}

	peers(): PeerEntry[] {
		return [...this.entries.values()];
	}

	inLayer(layer: number): PeerEntry[] {
		return this.peers().filter(p => p.layer === layer);
	}

	byNodeId(nodeId: string): PeerEntry | undefined {
		return this.entries.get(nodeId);
	}

	close(): void {
		for (const t of this.timers) clearInterval(t);
		this.timers = [];
	}
}

const strings = (v: unknown, max: number): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length <= 256).slice(0, max) : []);

/** An entry as other miners wrote it: the first p2p node id and a layer-N group are what we dial by. */
function toEntry(slug: string, f: Partial<Record<Field, unknown>>): PeerEntry | null {
	const nodeId = strings(f.p2p_node_ids, 8)[0];
	if (!nodeId || typeof f.last_keepalive !== 'number') return null;
	const group = strings(f.groups, 32).find(g => /^layer-\d+$/.test(g));
	const relayUrl = typeof f.iroh_relay_url === 'string' ? f.iroh_relay_url : null;
	return {
		hotkey: typeof f.node_id === 'string' ? f.node_id : slug,
		nodeId,
		addr: {nodeId, directAddresses: strings(f.iroh_direct_addresses, 16), relayUrl},
		layer: group ? Number(group.slice(6)) : null,
		lastKeepalive: f.last_keepalive,
	};
}
