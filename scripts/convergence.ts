// Convergence check (issue 12): the devnet swarm (3 stages x 2 miners, several DiLoCo merges) against one process
// training the same model on the same samples; writes bench/results/convergence.json and convergence.svg.
// Usage: npm run convergence   (CONVERGENCE_MERGES=1 CONVERGENCE_BEFORE_MERGING=6 for a quick try)
//
// The comparison: both start from the same seeded init, use the run's inner optimizer (NAdam) and learning rate
// and [B, S] batches, on the devnet's samples in the order the orchestrator serves them, as many as the swarm's
// merged model had seen when its last merge began (both miners of a layer together). The reference (ratio) is the
// swarm's single-process equivalent: the same tokens in the same number of optimizer steps as each miner took,
// i.e. 2 batches per step (data parallelism over the 2 miners of a stage, as DiLoCo is compared). An extra
// baseline takes every batch as its own step (twice the sequential steps any miner takes): `sequential_*`.
// The final numbers are held-out losses of the final models on the same held-out batches (paragraphs no sample
// contains): the swarm's model is its last merge's partitions.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {getConfig, type ModelConfig} from '../source/training/config.js';
import {getPublicModel} from '../source/training/llama3/config.js';
import {countParams, stageParams} from '../source/training/llama3/params.js';
import {evalBatches, sampleBatches, splitCorpus} from './convergence/data.js';
import {evalWeights} from './convergence/evaluate.js';
import {movingAverage, renderPlot} from './convergence/plot.js';
import {settingsFromEnv} from './convergence/settings.js';
import {runSingle} from './convergence/single.js';
import {runSwarm} from './convergence/swarm-run.js';

const RESULTS = 'bench/results';
const log = (line: string) => console.log(`# ${line}`);

async function main(): Promise<void> {
	const t0 = Date.now();
	const s = settingsFromEnv();
	const {mini_batch_size: batch, sequence_length: seqLen} = s.devnet;
	const config: ModelConfig = {...getConfig('devnet'), batchSize: batch, seqLen};
	const pub = getPublicModel('devnet');
	const perStage = pub.splits.map(sp => countParams(stageParams(pub.cfg, sp)));
	const dir = mkdtempSync(join(tmpdir(), 'iota-convergence-'));
	try {
		const corpus = splitCorpus(dir);
		const evalSet = evalBatches(corpus.heldOut, s.evalBatches, batch, seqLen);
		log(`swarm: 3 stages x 2 miners, [${batch}, ${seqLen}] batches, merge every ${s.devnet.batches_before_merging} backwards per miner, ${s.merges} merges, ${s.backend}`);
		const swarm = await runSwarm(s, corpus.trainFile, perStage, log);
		log(`swarm: ${swarm.losses.length} batches in ${Math.round(swarm.seconds)} s; merges began at batches ${swarm.mergeAt.join(', ')}; lr ${swarm.lr}`);
		const swarmHeldOut = await evalWeights(config, s.backend, swarm.merged.weights, evalSet);
		const samples = sampleBatches(corpus.trainFile, batch, seqLen);
		const useAdamW = s.devnet.run_flags?.use_AdamW?.enabled ?? false;
		const single = await runSingle({config, backend: s.backend, lr: swarm.lr, useAdamW, steps: swarm.samplesInModel, samples, evalSet});
		log(`single: ${single.losses.length} steps in ${Math.round(single.seconds)} s; held-out ${single.heldOutBefore.toFixed(4)} -> ${single.heldOutAfter.toFixed(4)}`);
		const paired = await runSingle({config, backend: s.backend, lr: swarm.lr, useAdamW, steps: Math.floor(swarm.samplesInModel / 2), accumulate: 2, samples, evalSet});
		log(`single, 2 batches per step: ${paired.losses.length / 2} steps in ${Math.round(paired.seconds)} s; held-out ${paired.heldOutAfter.toFixed(4)}`);
		const result = {
			...summarize(s.window, swarm, swarmHeldOut, paired, {batch, seqLen}),
			sequential_final_loss: single.heldOutAfter,
			sequential_ratio: swarmHeldOut / single.heldOutAfter,
			sequential_curve: single.losses,
		};
		mkdirSync(RESULTS, {recursive: true});
		const plot = join(RESULTS, 'convergence.svg');
		writeFileSync(plot, renderPlot({
			title: `Swarm (3 stages x 2 miners, DiLoCo) vs single process, devnet model, [${batch}, ${seqLen}]`,
			tokensPerBatch: batch * seqLen,
			window: s.window,
			curves: [{name: 'swarm', color: '#d62728', losses: swarm.losses.slice(0, swarm.samplesInModel)}, {name: 'single, 2 batches/step', color: '#2ca02c', losses: paired.losses}, {name: 'single, batch/step', color: '#1f77b4', losses: single.losses}],
			merges: swarm.mergeAt,
			finals: [
				{name: 'swarm', color: '#d62728', batches: swarm.samplesInModel, loss: swarmHeldOut},
				{name: 'single, 2 batches/step (reference)', color: '#2ca02c', batches: paired.losses.length, loss: paired.heldOutAfter},
				{name: 'single, batch/step', color: '#1f77b4', batches: single.losses.length, loss: single.heldOutAfter},
			],
		}));
		const out = {...result, plot, settings: s, wall_s: Math.round((Date.now() - t0) / 1000)};
		writeFileSync(join(RESULTS, 'convergence.json'), `${JSON.stringify(out, null, 2)}\n`);
		log(`swarm_final_loss ${out.swarm_final_loss.toFixed(4)}, single_final_loss ${out.single_final_loss.toFixed(4)}, ratio ${out.ratio.toFixed(4)} (${out.within_5pct ? 'within' : 'NOT within'} 5 %); sequential ${out.sequential_final_loss.toFixed(4)} (ratio ${out.sequential_ratio.toFixed(4)}); ${out.wall_s} s; ${plot}`);
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

type Swarm = Awaited<ReturnType<typeof runSwarm>>;
type Single = Awaited<ReturnType<typeof runSingle>>;

function summarize(window: number, swarm: Swarm, swarmHeldOut: number, single: Single, shape: {batch: number; seqLen: number}) {
	const last = (xs: number[]) => movingAverage(xs, window).at(-1) ?? NaN;
	const ratio = swarmHeldOut / single.heldOutAfter;
	return {
		swarm_final_loss: swarmHeldOut,
		single_final_loss: single.heldOutAfter,
		ratio,
		within_5pct: Math.abs(ratio - 1) <= 0.05,
		metric: 'held-out loss (nats/token) of each final model on the same held-out batches; single = same tokens, 2 batches per step',
		initial_heldout_loss: single.heldOutBefore,
		batches: swarm.samplesInModel,
		tokens: swarm.samplesInModel * shape.batch * shape.seqLen,
		merge_at_batches: swarm.mergeAt,
		merged_epochs: swarm.merged.epochs,
		learning_rate: swarm.lr,
		train_loss_last_window: {window, swarm: last(swarm.losses.slice(0, swarm.samplesInModel)), single: last(single.losses)},
		swarm_seconds: Math.round(swarm.seconds),
		single_seconds: Math.round(single.seconds),
		curves: {swarm: swarm.losses, single: single.losses},
	};
}

await main();
