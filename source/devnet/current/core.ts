// What the current orchestrator's route modules share: the route contract and the services handed to them.
import {z} from 'zod';
import type {PyJson} from '../../orchestrator/canonical-json.js';
import type {LayerPhase} from '../../orchestrator/current/schemas.js';
import type {Presigner} from '../../storage/presign.js';
import type {ChainView} from '../chain-view.js';
import type {RunModel} from './model.js';
import type {CurrentSettings} from './settings.js';
import type {CurrentState, MinerRow} from './state.js';

/** public: no checks at all; signed: Epistula + metagraph; miner: also registered with this orchestrator. */
export type CurrentAuth = 'public' | 'signed' | 'miner';

/** Routes without a body accept none or the `{}` the client sends on body-less GETs. */
export const NoBody = z.union([z.undefined(), z.strictObject({})]);
export const NoQuery = z.strictObject({});

/** Body limits in bytes, sized to the real messages. */
export const SIGNED_BODY_LIMIT = 4096;

export interface CurrentRouteOptions<B extends z.ZodType, Q extends z.ZodType> {
	auth: CurrentAuth;
	/** The busy routes (heartbeat, activations) get the higher rate limit. */
	high?: boolean;
	body?: B;
	query?: Q;
	maxBody?: number;
}

export interface CurrentContext<B = unknown, Q = unknown> {
	hotkey: string;
	miner: MinerRow | undefined;
	body: B;
	query: Q;
	params: Record<string, string>;
	/** The body as parsed (floats kept), and its canonical text as signed. */
	raw: PyJson | undefined;
	signedText: string;
	ip: string;
}

export interface CurrentCore {
	settings: CurrentSettings;
	model: RunModel;
	state: CurrentState;
	chain: ChainView;
	presigner: Presigner;
	bucket: string;
	/** Store keys of the layer-0 sample texts. */
	samples: string[];
	now(): number;
	random(): number;
	log(line: string): void;
	advance(): void;
	/** LayerStateError unless the miner's layer is in one of `phases` (the first is the one named as expected). */
	requirePhase(miner: MinerRow, ...phases: LayerPhase[]): void;
	route<B extends z.ZodType = typeof NoBody, Q extends z.ZodType = typeof NoQuery>(
		method: 'GET' | 'POST',
		url: string,
		opts: CurrentRouteOptions<B, Q>,
		handler: (ctx: CurrentContext<z.output<B>, z.output<Q>>) => Promise<unknown> | unknown,
	): void;
}
