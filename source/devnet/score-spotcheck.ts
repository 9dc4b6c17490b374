// The spot-check: recompute a miner's forward on one of its samples with the weights it submitted,
// in a training worker (TF.js stays off the orchestrator's and chain's thread), and compare with
// what the miner uploaded. Nothing to check or a model mismatch is "skipped", not a failure.
import {getConfig, type ModelConfig} from '../training/config.js';
import {llamaModelFor} from '../training/llama3/from-model-config.js';
import {countParams, stageParams} from '../training/llama3/params.js';
import type {BackendChoice} from '../training/backend-names.js';
import type {TensorData} from '../training/tensor-data.js';
import {decodeWire, type WireExpect} from '../training/wire.js';
import {compareActivations} from './score.js';
import type {PendingCheck, SampleKeys, ScoreBook, SpotCheckRow} from './score-book.js';

export type SpotCheckSettings = {
	/** Model config the devnet miners train (the devnet uses the small "devnet" config). */
	config: string;
	backend: BackendChoice;
};
export const DEFAULT_SPOT_CHECK: SpotCheckSettings = {config: 'devnet', backend: 'cpu'};

export type FetchObject = (key: string) => Promise<Uint8Array>;

type Outcome = Pick<SpotCheckRow, 'outcome' | 'cosine' | 'magnitude_ratio' | 'detail'>;
const skipped = (detail: string): Outcome => ({outcome: 'skipped', cosine: null, magnitude_ratio: null, detail});

/** Recomputes one stage's forward (the miners' llama3 engine): the output activation, or on the tail the loss as a 1-vector. */
export async function recomputeForward(config: ModelConfig, layer: number, backend: BackendChoice, weights: Uint8Array, input: TensorData, ids?: TensorData): Promise<Float32Array> {
	const {TrainerClient} = await import('../training/client.js');
	const t = await TrainerClient.start({config, stages: [layer], backend, engine: 'llama3'});
	try {
		await t.importWeights(weights, 'bf16');
		const r = await t.forward('spot-check', input, ids);
		return r.output ? new Float32Array(r.output.data) : Float32Array.of(r.loss ?? NaN);
	} finally {
		await t.close();
	}
}

/** Runs the check for one submission and records it. */
export async function spotCheck(book: ScoreBook, p: PendingCheck, last: number, fetchObject: FetchObject, settings: SpotCheckSettings, now: number): Promise<SpotCheckRow> {
	const keys = book.lastForward(p.hotkey, p.layer, last, p.at);
	let outcome: Outcome;
	try {
		outcome = keys ? await check(keys, p, last, fetchObject, settings) : skipped('no forward by this miner before its submission');
	} catch (error) {
		outcome = skipped(`could not recompute: ${(error as Error).message}`);
	}
	const row: SpotCheckRow = {hotkey: p.hotkey, layer: p.layer, epoch: p.epoch, sample: keys?.uid ?? null, at: now, ...outcome};
	book.record(row);
	return row;
}

async function check(keys: SampleKeys, p: PendingCheck, last: number, fetchObject: FetchObject, settings: SpotCheckSettings): Promise<Outcome> {
	const config = getConfig(settings.config);
	if (p.layer >= config.splits.length) return skipped(`layer ${p.layer} is outside config ${config.name}`);
	const weights = await fetchObject(p.weights_path);
	const model = llamaModelFor(config);
	const expected = 2 * countParams(stageParams(model.cfg, model.splits[p.layer]!));
	// Checked before any worker starts: a size mismatch means another model, not a bad forward.
	if (weights.length !== expected) return skipped(`weights are ${weights.length} bytes, config ${config.name} layer ${p.layer} needs ${expected}`);
	// The sample's objects are torch.save tensors: int64 ids, bf16 activations.
	const act = (what: string): WireExpect => ({kind: 'activation', shape: [null, null, config.bottleneckDim], what});
	const ids = keys.ids ? decodeWire(await fetchObject(keys.ids), {kind: 'ids', shape: [null, null], what: 'sample token ids'}) : undefined;
	const input = p.layer === 0 ? ids : keys.input ? decodeWire(await fetchObject(keys.input), act('sample input')) : undefined;
	if (!input) return skipped('the sample input is not in the store');
	if (p.layer === last && !ids) return skipped('the sample tokens are not in the store');
	const actual = keys.output ? new Float32Array(decodeWire(await fetchObject(keys.output), act('miner output')).data) : Float32Array.of(keys.loss ?? NaN);
	const got = await recomputeForward(config, p.layer, settings.backend, weights, input, p.layer === last && p.layer > 0 ? ids : undefined);
	const c = compareActivations(got, actual);
	return {outcome: c.pass ? 'pass' : 'fail', cosine: c.cosine, magnitude_ratio: c.magnitudeRatio, detail: keys.output ? 'forward output' : 'tail loss'};
}
