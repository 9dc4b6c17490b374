// All endpoints of the devnet orchestrator, grouped by concern.
import type {Core} from './core.js';
import {registerMinerRoutes} from './routes-miner.js';
import {registerStorageRoutes} from './routes-storage.js';
import {registerMergeRoutes} from './routes-merge.js';
import {registerPublicRoutes} from './routes-public.js';

export function registerRoutes(core: Core): void {
	registerMinerRoutes(core);
	registerStorageRoutes(core);
	registerMergeRoutes(core);
	registerPublicRoutes(core);
}
