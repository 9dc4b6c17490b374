// The /common routes and /healthcheck: run info, the run's epoch, the layer's current merged partitions.
import {z} from 'zod';
import type {CurrentCore} from './core.js';
import {ApiError} from './errors.js';
import {runInfo} from './model.js';
import {partitionReply} from './replies.js';

const RunEpochQuery = z.strictObject({run_id: z.string().min(1).max(256)});

export function registerCommonRoutes(core: CurrentCore): void {
	const {state, settings} = core;

	core.route('GET', '/healthcheck', {auth: 'public'}, () => ({status: 'healthy'}));

	core.route('GET', '/common/get_run_info', {auth: 'signed'}, () => [runInfo(settings, core.model, state.miners().length)]);

	core.route('GET', '/common/get_run_epoch', {auth: 'signed', query: RunEpochQuery}, ({query}) => {
		if (query.run_id !== settings.run_id) throw new ApiError('RunNotFoundError', {message: `No run ${query.run_id.slice(0, 64)}`});
		return {run_id: settings.run_id, epoch: state.run().epoch};
	});

	// The layer's weights as of the last merge: what a miner loads when it enters training.
	core.route('GET', '/common/get_merged_partitions', {auth: 'miner'}, ({miner}) =>
		Promise.all(state.merge.currentPartitions(miner!.layer).map(p => partitionReply(core, p))),
	);
}
