// The whole devnet on 127.0.0.1: the Subtensor chain (subnet 9), the object store and the
// orchestrator, with state under one data dir. Used by `iota-tui devnet`, tests and the miner.
// `protocol` picks the orchestrator: IOTA's v1 API (the default) or the current one (spec 30017).
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import type {OrchestratorSettings, OrchestratorSettingsInput} from '../orchestrator/settings.js';
import type {ChainView} from './chain-view.js';
import type {RegistrationGame} from '../chain/devchain-registration.js';
import {startObjectStore, type ObjectStore} from './store.js';
import {startOrchestrator, type OrchestratorServer} from './server.js';
import type {DevnetValidator} from './score-validator.js';
import {DEFAULT_SPOT_CHECK, type SpotCheckSettings} from './score-spotcheck.js';
import type {CurrentOrchestratorServer} from './current/server.js';
import type {CurrentSettings, CurrentSettingsInput} from './current/settings.js';

export type DevnetProtocol = 'current' | 'v1';

export interface DevnetOptions {
	/** Where the SQLite state and the store's files live (default ~/.local/share/iota-tui/devnet). */
	dataDir?: string;
	host?: string;
	chainPort?: number;
	storePort?: number;
	/** Orchestrator port. 0 picks a free port (all three default to 0). */
	port?: number;
	/** Use this running chain instead of starting one. */
	chainUrl?: string;
	/** Use this running object store instead of starting one (the chaos suite runs it in its own process). */
	store?: ObjectStore;
	/** Replace the chain entirely (unit tests only; no chain is started). */
	chainView?: ChainView;
	/** Which orchestrator to serve (default v1 here; `iota-tui devnet` defaults to current: DEVNET_DEFAULT_PROTOCOL). */
	protocol?: DevnetProtocol;
	/** v1 orchestrator settings. */
	settings?: OrchestratorSettingsInput;
	/** Current-protocol orchestrator settings (protocol 'current'). */
	currentSettings?: CurrentSettingsInput;
	blockIntervalMs?: number;
	/** Subnet 9's registration limits, burn bounds and size (the chain's defaults when unset). */
	registration?: RegistrationGame;
	/** The orchestrator as subnet 9's validator (score, spot-check on v1, setWeights each tempo); on by default with a chain. */
	validator?: false | {spotCheck?: SpotCheckSettings | false; auto?: boolean};
	log?: (line: string) => void;
}

export interface Devnet {
	protocol: 'v1';
	chain: string;
	store: string;
	orchestrator: string;
	netuid: number;
	dataDir: string;
	settings: OrchestratorSettings;
	objectStore: ObjectStore;
	server: OrchestratorServer;
	validator?: DevnetValidator;
	/** Stops and restarts the orchestrator on the same port and data (state must survive). */
	restartOrchestrator(): Promise<void>;
	close(): Promise<void>;
}

/** The devnet serving the current protocol; its validator scores the current state's work (current/score.ts). */
export interface CurrentDevnet extends Omit<Devnet, 'protocol' | 'settings' | 'server'> {
	protocol: 'current';
	settings: CurrentSettings;
	server: CurrentOrchestratorServer;
}

import {defaultDataDir} from '../paths.js';

export {defaultDataDir};

export function startDevnet(opts: DevnetOptions & {protocol: 'current'}): Promise<CurrentDevnet>;
export function startDevnet(opts?: DevnetOptions & {protocol?: 'v1'}): Promise<Devnet>;
export function startDevnet(opts?: DevnetOptions): Promise<Devnet | CurrentDevnet>;
export async function startDevnet(opts: DevnetOptions = {}): Promise<Devnet | CurrentDevnet> {
	const log = opts.log ?? (() => {});
	const host = opts.host ?? '127.0.0.1';
	const dataDir = opts.dataDir ?? defaultDataDir();
	mkdirSync(dataDir, {recursive: true});
	const cleanups: (() => Promise<void>)[] = [];
	const close = async () => {
		for (const c of cleanups.reverse()) await c().catch(e => log(`devnet: close: ${(e as Error).message}`));
		cleanups.length = 0;
	};
	try {
		let chainUrl = opts.chainUrl ?? 'none';
		let netuid = 9;
		let view = opts.chainView;
		if (!view) {
			if (!opts.chainUrl) {
				const {startDevChain} = await import('../chain/devchain.js');
				const chain = await startDevChain({host, port: opts.chainPort ?? 0, blockIntervalMs: opts.blockIntervalMs, registration: opts.registration, log: l => log(`chain: ${l}`)});
				cleanups.push(() => chain.close());
				chainUrl = chain.url;
				netuid = chain.netuid;
			}
			const {MetagraphView} = await import('./metagraph.js');
			const ttl = (opts.settings?.metagraph_ttl_s ?? 12) * 1000;
			const metagraph = await MetagraphView.connect(chainUrl, netuid, ttl);
			cleanups.push(() => metagraph.close());
			view = metagraph;
		}
		log(`chain: ${chainUrl}`);
		const objectStore = opts.store ?? (await startObjectStore({directory: join(dataDir, 'store'), host, port: opts.storePort ?? 0}));
		if (!opts.store) cleanups.push(() => objectStore.close());
		log(`store: ${objectStore.url} (bucket ${objectStore.bucket})`);
		const storeAccess = {endpoint: objectStore.url, bucket: objectStore.bucket, accessKeyId: objectStore.accessKeyId, secretAccessKey: objectStore.secretAccessKey};
		if (opts.protocol === 'current') {
			const {startCurrentOrchestrator} = await import('./current/server.js');
			const currentOpts = {dataDir, chain: view, store: storeAccess, settings: opts.currentSettings, host, port: opts.port ?? 0, log};
			let server = await startCurrentOrchestrator(currentOpts);
			cleanups.push(() => server.close()); // `server` is reassigned on restart: the cleanup closes the live one
			log(`orchestrator: ${server.url} (current protocol, spec 30017; run ${server.settings.run_id}, bridge at ${server.url}/bridge)`);
			let validator: DevnetValidator | undefined;
			if (!opts.chainView && opts.validator !== false) {
				const {startCurrentValidator} = await import('./score-run.js');
				validator = await startCurrentValidator({chainUrl, netuid, state: () => server.state, auto: opts.validator?.auto, log});
				cleanups.push(() => validator!.close());
			}
			const devnet: CurrentDevnet = {
				protocol: 'current',
				chain: chainUrl,
				store: objectStore.url,
				orchestrator: server.url,
				netuid,
				dataDir,
				settings: server.settings,
				objectStore,
				server,
				validator,
				async restartOrchestrator() {
					await server.close();
					server = await startCurrentOrchestrator({...currentOpts, port: server.port});
					devnet.server = server;
					log('orchestrator: restarted');
				},
				close,
			};
			return devnet;
		}
		let validator: DevnetValidator | undefined;
		const orchestratorOpts = {
			dataDir, chain: view, store: storeAccess, settings: opts.settings, host, port: opts.port ?? 0, log,
			chainScore: (hotkey: string) => (validator ? validator.chainScore(hotkey) : Promise.reject(new Error('no validator'))),
		};
		let server = await startOrchestrator(orchestratorOpts);
		let closeServer = () => server.close();
		cleanups.push(() => closeServer());
		log(`orchestrator: ${server.url} (${server.settings.layers} layers)`);
		if (!opts.chainView && opts.validator !== false) {
			const {startValidator} = await import('./score-run.js');
			validator = await startValidator({
				chainUrl, netuid, store: storeAccess, state: () => server.state, layers: server.settings.layers,
				spotCheck: opts.validator?.spotCheck ?? DEFAULT_SPOT_CHECK, auto: opts.validator?.auto, log,
			});
			cleanups.push(() => validator!.close());
		}
		const devnet: Devnet = {
			protocol: 'v1',
			chain: chainUrl,
			store: objectStore.url,
			orchestrator: server.url,
			netuid,
			dataDir,
			settings: server.settings,
			objectStore,
			server,
			validator,
			async restartOrchestrator() {
				await server.close();
				server = await startOrchestrator({...orchestratorOpts, port: server.port});
				closeServer = () => server.close();
				devnet.server = server;
				log('orchestrator: restarted');
			},
			close,
		};
		return devnet;
	} catch (error) {
		await close();
		throw error;
	}
}
