// The merge sequence, driven by the layer's phases: submit weights while it uploads, merge the
// assigned chunks while it merges, then load the merged layer once it trains again.
import type {MinerContext} from './context.js';
import {layerStatus, syncLayer, waitPhase} from './sync.js';
import type {Phase} from './types.js';
import {optimizerStep} from './work.js';

export async function mergeSequence(ctx: MinerContext): Promise<void> {
	ctx.waiting(`the phase of layer ${ctx.layer}`);
	const first = await layerStatus(ctx);
	if (first.phase === 'is_training') return;
	const epochBefore = await ctx.protocol.epoch(ctx.layer);
	let status: Phase = first.phase;
	let submitted = false;
	if (status === 'weights_uploading') {
		submitted = await submitWeights(ctx, first.sections, epochBefore);
		status = await waitPhase(ctx, ['miners_merging_partitions', 'is_training'], 'the layer to start merging (other miners uploading weights)');
	}
	if (status === 'miners_merging_partitions') {
		if (submitted) await mergePartitions(ctx, epochBefore);
		status = await waitPhase(ctx, ['is_training'], 'the layer to finish merging (enough merged partitions)');
	}
	// Back to training: whatever this worker held belongs to archived activations.
	for (const uid of ctx.saved) await ctx.trainer!.drop(uid).catch(() => {});
	ctx.saved.clear();
	const epoch = await ctx.protocol.epoch(ctx.layer);
	if (epoch > epochBefore) {
		await syncLayer(ctx);
		ctx.stats.merges++;
		ctx.dispatch({type: 'merge_done', layer: ctx.layer, epoch, at: ctx.now()});
	} else {
		ctx.log('warn', `layer ${ctx.layer} went back to training without a merge (phase timeout)`);
		ctx.setPhase('is_training');
	}
}

async function submitWeights(ctx: MinerContext, sections: number, epoch: number): Promise<boolean> {
	await optimizerStep(ctx);
	ctx.waiting('weights export from the training worker');
	const weights = await ctx.trainer!.exportWeights('bf16');
	const optimizerState = await ctx.trainer!.exportOptimizerState('bf16');
	if (!(await ctx.protocol.submitWeights({weights, optimizerState, sections, epoch, localSteps: ctx.stepsSinceMerge}))) return false;
	ctx.stats.weightsSubmitted++;
	ctx.log('info', `weights submitted (${sections} sections, epoch ${epoch})`);
	return true;
}

async function mergePartitions(ctx: MinerContext, epoch: number): Promise<void> {
	const round = await ctx.protocol.mergeRound({epoch, numParams: ctx.trainer!.info!.numParams});
	if (!round) return;
	const pending: string[] = [];
	const merged: number[] = [];
	for (const chunk of round.chunks) {
		const ids = await round.mergeChunk(chunk);
		if (!ids) continue;
		pending.push(...ids);
		merged.push(chunk);
	}
	if (merged.length === 0) return;
	const s = merged.length > 1 ? 's' : '';
	ctx.waiting(`merged partition upload (${merged.length} chunk${s})`);
	await ctx.uploaded(pending, 30 * 60_000, 'merged partition upload');
	const message = await round.publish();
	if (message === null) return;
	ctx.stats.partitionsMerged += merged.length;
	ctx.log('info', `merged chunk${s} ${merged.join(', ')} (${message})`);
}
