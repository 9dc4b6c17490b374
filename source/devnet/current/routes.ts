// Every route of the current orchestrator, grouped by concern; returns the bridge registry it serves.
import type {BridgeRegistry} from './bridge.js';
import type {CurrentCore} from './core.js';
import {registerActivationRoutes} from './routes-activations.js';
import {registerBridgeRoutes} from './routes-bridge.js';
import {registerCommonRoutes} from './routes-common.js';
import {registerDevnetRoutes} from './routes-devnet.js';
import {registerPartitionRoutes} from './routes-partitions.js';
import {registerPhaseRoutes} from './routes-phase.js';
import {registerRegistrationRoutes} from './routes-register.js';
import {registerUploadRoutes} from './routes-uploads.js';
import {registerWeightRoutes} from './routes-weights.js';

export function registerCurrentRoutes(core: CurrentCore): BridgeRegistry {
	registerCommonRoutes(core);
	registerRegistrationRoutes(core);
	registerPhaseRoutes(core);
	registerActivationRoutes(core);
	registerUploadRoutes(core);
	registerWeightRoutes(core);
	registerPartitionRoutes(core);
	registerDevnetRoutes(core);
	return registerBridgeRoutes(core);
}
