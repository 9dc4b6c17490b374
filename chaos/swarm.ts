// The devnet for fault cases, split so each fault hits one part: the chain in this process behind a
// TCP proxy (the miners' link), the store and the orchestrator as child processes, N miner processes.
// Every miner's NDJSON event is kept with its arrival time; cases wait on and count them.
import {appendFileSync} from 'node:fs';
import {join} from 'node:path';
import {startDevChain, type DevChain} from '../source/chain/devchain.js';
import {startDevnetMiners, type DevnetMiners} from '../source/devnet/miners.js';
import {freePort, Proxy} from './proxy.js';
import {Service} from './services.js';

export type ChaosEvent = Record<string, unknown> & {event: string; at: number};
export type SwarmSpec = {
	protocol: 'current' | 'v1';
	miners: number;
	dataDir: string;
	settings: Record<string, unknown>;
	/** Model config the miners train (default devnet). */
	model?: string;
	/** Ports kept across a whole-swarm restart (filled on first start). */
	ports?: {orchestrator: number; store: number};
	log?: (line: string) => void;
};

const REPO = join(import.meta.dirname, '..');

export class ChaosSwarm {
	readonly events: ChaosEvent[] = [];
	readonly lines: string[] = [];
	private waiters: (() => void)[] = [];
	chain!: DevChain;
	chainProxy!: Proxy;
	store!: Service;
	orchestrator!: Service;
	miners!: DevnetMiners;

	private constructor(readonly spec: SwarmSpec & {ports: {orchestrator: number; store: number}}) {}

	static async start(spec: SwarmSpec): Promise<ChaosSwarm> {
		const ports = spec.ports ?? {orchestrator: await freePort(), store: await freePort()};
		const swarm = new ChaosSwarm({...spec, ports});
		try {
			await swarm.boot();
		} catch (error) {
			await swarm.stop();
			throw error;
		}
		return swarm;
	}

	log = (line: string): void => {
		this.lines.push(line);
		this.spec.log?.(line);
	};

	private async boot(): Promise<void> {
		const {protocol, dataDir, ports} = this.spec;
		this.chain = await startDevChain({blockIntervalMs: 2000, log: l => this.log(`chain: ${l}`)});
		this.chainProxy = await Proxy.start({host: '127.0.0.1', port: Number(new URL(this.chain.url).port)});
		this.store = new Service({kind: 'store', port: ports.store, dataDir}, this.log);
		const storeUrl = await this.store.start();
		this.orchestrator = new Service({kind: 'orchestrator', port: ports.orchestrator, dataDir, protocol, chainUrl: this.chain.url, storeUrl, settings: this.spec.settings}, this.log);
		const orchestratorUrl = await this.orchestrator.start();
		this.miners = await startDevnetMiners({
			count: this.spec.miners, chainUrl: `ws://127.0.0.1:${this.chainProxy.port}`, orchestratorUrl, netuid: this.chain.netuid, dataDir, json: true,
			emit: line => this.push(line), log: this.log, backend: 'cpu', protocol, model: this.spec.model, cli: join(REPO, 'cli.tsx'), execArgv: ['--import', 'tsx'],
		});
	}

	private push(line: string): void {
		// IOTA_CHAOS_EVENTS=file: every miner event also goes to that file, for a look at a failed case.
		if (process.env.IOTA_CHAOS_EVENTS) appendFileSync(process.env.IOTA_CHAOS_EVENTS, `${line}\n`);
		this.events.push({...(JSON.parse(line) as Record<string, unknown> & {event: string}), at: Date.now()});
		for (const w of this.waiters.splice(0)) w();
	}

	/** The events from index `from` on that match. */
	since(from: number, match: (e: ChaosEvent) => boolean): ChaosEvent[] {
		return this.events.slice(from).filter(match);
	}

	/** Resolves once `done()` holds (checked on every event and every second); false on timeout. */
	async until(done: () => boolean, timeoutMs: number): Promise<boolean> {
		const end = Date.now() + timeoutMs;
		while (!done()) {
			if (Date.now() >= end) return false;
			await new Promise<void>(resolve => {
				const t = setTimeout(resolve, Math.min(1000, end - Date.now()));
				this.waiters.push(() => {
					clearTimeout(t);
					resolve();
				});
			});
		}
		return true;
	}

	/** Merges per layer seen since event index `from` (distinct epochs). */
	merges(from = 0): number[] {
		const layers = new Map<number, Set<unknown>>();
		for (const e of this.since(from, e => e.event === 'merge_done')) {
			const set = layers.get(e.layer as number) ?? new Set();
			set.add(e.epoch);
			layers.set(e.layer as number, set);
		}
		return [0, 1, 2].map(l => layers.get(l)?.size ?? 0);
	}

	async stop(): Promise<void> {
		await this.miners?.stop();
		await this.orchestrator?.kill('SIGTERM');
		await this.store?.kill('SIGTERM');
		await this.chainProxy?.close();
		await this.chain?.close();
	}
}
