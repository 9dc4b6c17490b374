// The devnet orchestrator for IOTA's current miner protocol (spec 30017) on fastify: the routes of
// the public client, the bridge v2 registry on /bridge, state in SQLite (current.sqlite), objects in
// the devnet store through presigned URLs. The real server is not public; this one is built from the client.
import Fastify from 'fastify';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import type {AddressInfo} from 'node:net';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {RequestIdGuard} from '../../orchestrator/current/signing.js';
import {makeS3Client} from '../../storage/s3.js';
import {Presigner} from '../../storage/presign.js';
import type {ChainView} from '../chain-view.js';
import type {StoreAccess} from '../core.js';
import {oneLine} from '../core.js';
import {RateLimiter} from '../rate-limit.js';
import type {BridgeRegistry} from './bridge.js';
import type {CurrentCore} from './core.js';
import {layerStateError} from './errors.js';
import {runModel} from './model.js';
import {advanceCurrentPhases} from './phases.js';
import {makeResponder, type Handler, type Route} from './pipeline.js';
import {registerCurrentRoutes} from './routes.js';
import {storeSamples} from './samples.js';
import {resolveCurrentSettings, type CurrentSettings, type CurrentSettingsInput} from './settings.js';
import {CurrentState} from './state.js';

/** Phase timeouts and queue expiry also move without traffic. */
const TICK_MS = 1000;

export interface CurrentOrchestratorOptions {
	/** Folder for current.sqlite. */
	dataDir: string;
	chain: ChainView;
	store: StoreAccess;
	settings?: CurrentSettingsInput;
	host?: string;
	port?: number;
	log?: (line: string) => void;
	/** For spot-check draws; tests pin it. */
	random?: () => number;
}

export interface CurrentOrchestratorServer {
	protocol: 'current';
	url: string;
	port: number;
	settings: CurrentSettings;
	state: CurrentState;
	bridge: BridgeRegistry;
	/** Store keys of the layer-0 samples. */
	samples: string[];
	/** Moves the orchestrator's clock (timeouts, not signatures) forward; for tests. */
	advanceTime(ms: number): void;
	close(): Promise<void>;
}

export async function startCurrentOrchestrator(opts: CurrentOrchestratorOptions): Promise<CurrentOrchestratorServer> {
	await cryptoWaitReady();
	const settings = resolveCurrentSettings(opts.settings);
	const model = runModel(settings);
	mkdirSync(opts.dataDir, {recursive: true});
	let offset = 0;
	const now = () => Date.now() + offset;
	const log = opts.log ?? (() => {});
	const presigner = new Presigner(makeS3Client({...opts.store}), opts.store.bucket);
	const samples = await storeSamples(settings, presigner, log);
	const state = new CurrentState(join(opts.dataDir, 'current.sqlite'), model.layers, now());
	const guard = new RequestIdGuard();
	const limiter = new RateLimiter();
	// Bodies are not parsed by fastify: the route reads them after the cheap header checks (pipeline.ts).
	const app = Fastify({forceCloseConnections: true, requestTimeout: 60_000});
	app.removeAllContentTypeParsers();
	app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
	app.setErrorHandler((error: {statusCode?: number; message: string}, _req, reply) => {
		const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
		if (status >= 500) log(`orchestrator: ${oneLine(error.message)}`);
		return reply.code(status).type('application/json').send(JSON.stringify({detail: oneLine(error.message)}));
	});

	const advance = () => {
		for (const line of advanceCurrentPhases(state, settings, now())) log(`orchestrator: ${line}`);
	};
	const respond = makeResponder({settings, state, chain: opts.chain, guard, limiter, now, advance, log});
	const core: CurrentCore = {
		settings,
		model,
		state,
		chain: opts.chain,
		presigner,
		bucket: opts.store.bucket,
		samples,
		now,
		random: opts.random ?? Math.random,
		log,
		advance,
		requirePhase(miner, ...phases) {
			const phase = state.layer(miner.layer)!.phase;
			if (!phases.includes(phase)) throw layerStateError(miner.layer, phases[0]!, phase);
		},
		route(method, url, ropts, handler) {
			app.route({method, url, handler: (req, reply) => respond(req, reply, ropts as Route, handler as Handler)});
		},
	};
	const bridge = registerCurrentRoutes(core);
	const timer = setInterval(() => {
		try {
			advance();
			bridge.sweep();
		} catch (error) {
			log(`orchestrator: tick: ${oneLine((error as Error).message)}`);
		}
	}, TICK_MS);
	timer.unref();
	try {
		await app.listen({host: opts.host ?? '127.0.0.1', port: opts.port ?? 0});
	} catch (error) {
		clearInterval(timer);
		state.close();
		throw error;
	}
	const port = (app.server.address() as AddressInfo).port;
	return {
		protocol: 'current',
		url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
		port,
		settings,
		state,
		bridge,
		samples,
		advanceTime(ms) {
			offset += ms;
		},
		async close() {
			clearInterval(timer);
			await app.close();
			state.close();
		},
	};
}
