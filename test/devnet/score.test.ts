// The score formula, the activation comparison, and the spot-check recomputing a real stage
// forward (tiny config, training worker) from rows and objects like the orchestrator keeps them.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {compareActivations, passRate, scoreOf, toWeights} from '../../source/devnet/score.js';
import {ScoreBook} from '../../source/devnet/score-book.js';
import {spotCheck} from '../../source/devnet/score-spotcheck.js';
import {OrchestratorState} from '../../source/devnet/state.js';
import {TrainerClient} from '../../source/training/client.js';
import {getConfig} from '../../source/training/config.js';
import {bf16ToBytes, bytesToBf16, fromBf16, toBf16} from '../../source/training/bf16.js';
import {decodeWire, encodeWire} from '../../source/training/wire.js';
import {float32} from '../../source/training/tensor-data.js';

test('comparison: cosine > 0.9 and magnitude ratio >= 0.8 pass', () => {
	const a = Float32Array.of(1, 2, 3, 4);
	assert.deepEqual(compareActivations(a, a), {cosine: 1, magnitudeRatio: 1, pass: true});
	const half = compareActivations(a, a.map(x => x * 0.5));
	assert.ok(Math.abs(half.cosine - 1) < 1e-12 && half.magnitudeRatio === 0.5 && !half.pass, 'same direction, half the length');
	const r08 = compareActivations(a, a.map(x => x * 1.25));
	assert.ok(Math.abs(r08.magnitudeRatio - 0.8) < 1e-7, `ratio ${r08.magnitudeRatio}`);
	// [1,0] vs [1,1]: cosine 1/sqrt(2) ~ 0.707 fails although the ratio 0.707 is close.
	const off = compareActivations(Float32Array.of(1, 0), Float32Array.of(1, 1));
	assert.ok(Math.abs(off.cosine - Math.SQRT1_2) < 1e-12 && !off.pass);
	// [3,4] vs [4,3]: cosine 24/25 = 0.96, same length: pass.
	const swap = compareActivations(Float32Array.of(3, 4), Float32Array.of(4, 3));
	assert.ok(Math.abs(swap.cosine - 0.96) < 1e-12 && swap.magnitudeRatio === 1 && swap.pass);
	assert.equal(compareActivations(a, Float32Array.of(1, 2)).pass, false, 'shape mismatch');
	assert.equal(compareActivations(a, new Float32Array(4)).pass, false, 'all zeros');
});

test('score = validated work x spot-check pass rate; weights scale to 65535', () => {
	const work = {forwards: 3, backwards: 2, weightsSubmitted: 1, partitionsMerged: 1};
	assert.equal(scoreOf(work, []), 7);
	assert.equal(scoreOf(work, [true, false]), 3.5);
	assert.equal(passRate([false, true, true, true, true, true]), 0.8, 'only the latest five count');
	assert.ok(scoreOf({...work, forwards: 10}, []) > scoreOf(work, []), 'more validated work, higher score');
	assert.deepEqual(toWeights([{uid: 4, score: 1}, {uid: 2, score: 4}, {uid: 3, score: 0}]), {uids: [2, 4], weights: [65535, 16384]});
	assert.deepEqual(toWeights([{uid: 1, score: 0}]), {uids: [], weights: []});
});

let dir: string;
let state: OrchestratorState;
before(() => {
	dir = mkdtempSync(join(tmpdir(), 'iota-score-'));
	state = new OrchestratorState(join(dir, 'orchestrator.sqlite'), 3, 0);
});
after(() => {
	state?.close();
	rmSync(dir, {recursive: true, force: true});
});

test('spot-check: honest weights pass, other weights fail, an unknown model is skipped', async () => {
	const config = getConfig('tiny');
	const objects = new Map<string, Uint8Array>();
	const fetchObject = async (key: string) => objects.get(key) ?? Promise.reject(new Error(`no ${key}`));
	const stage = async (seed: number) => TrainerClient.start({config, stages: [1], seed, backend: 'cpu', engine: 'llama3'});
	const honest = await stage(7);
	try {
		// The input arrives as bf16 from layer 0; the miner runs on what it decoded.
		const raw = Float32Array.from({length: 2 * config.seqLen * config.bottleneckDim}, (_, i) => Math.sin(i * 0.37));
		const inputBytes = encodeWire(float32(raw, [2, config.seqLen, config.bottleneckDim]));
		const decoded = decodeWire(inputBytes, {kind: 'activation', shape: [2, config.seqLen, config.bottleneckDim], what: 'input'});
		const out = await honest.forward('s1', {dtype: 'float32', shape: decoded.shape, data: decoded.data});
		objects.set('in', inputBytes);
		objects.set('out', encodeWire(out.output!));
		objects.set('w-honest', await honest.exportWeights('bf16'));
		// IOTA's blocks start near the identity (bottleneck residual), so another seed's init gives nearly the same
		// output; weights 30x larger make the blocks dominate, a clearly different stage.
		const honestW = fromBf16(bytesToBf16(await honest.exportWeights('bf16')));
		objects.set('w-other', bf16ToBytes(toBf16(honestW.map(v => v * 30))));
		objects.set('w-garbage', new Uint8Array(100));
	} finally {
		await honest.close();
	}
	const book = new ScoreBook(state.db);
	// Three miners on layer 1 that each ran the same sample (input task held, output published).
	const miners = [['honest', 'w-honest'], ['cheat', 'w-other'], ['stranger', 'w-garbage']] as const;
	for (const [i, [hotkey, weights]] of miners.entries()) {
		state.addMiner(hotkey, 1, i);
		state.addTask(`sample-${hotkey}`, 1, 'forward', 'in', null, 'layer0', 10);
		state.takeTask(state.nextTask(1, 'forward', null)!.id, hotkey, 11);
		state.addTask(`sample-${hotkey}`, 2, 'forward', 'out', null, hotkey, 12);
		state.upsertSubmission(1, 0, {hotkey, weights_path: weights, weight_metadata_path: 'm', optimizer_state_path: 'o', optimizer_state_metadata_path: 'om', weighting_factor: 1}, 20 + i);
	}
	const rows = [];
	for (let i = 0; i < 3; i++) rows.push(await spotCheck(book, book.pending(1)[0]!, 2, fetchObject, {config: 'tiny', backend: 'cpu'}, 100));
	const [h, c, s] = rows;
	assert.equal(h!.outcome, 'pass', JSON.stringify(h));
	assert.ok(h!.cosine! > 0.999 && h!.magnitude_ratio! > 0.99, JSON.stringify(h));
	assert.equal(c!.outcome, 'fail', JSON.stringify(c));
	assert.equal(s!.outcome, 'skipped');
	assert.match(s!.detail!, /weights are 100 bytes/);
	assert.equal(book.pending(1).length, 0);
	// Each did one forward: the failed check zeroes the cheat; a skipped check does not count.
	assert.deepEqual([book.score('honest'), book.score('cheat'), book.score('stranger')], [1, 0, 1]);
	process.stdout.write(`# spot-check: honest cosine ${h!.cosine!.toFixed(5)} ratio ${h!.magnitude_ratio!.toFixed(5)}; other weights cosine ${c!.cosine!.toFixed(3)} ratio ${c!.magnitude_ratio!.toFixed(3)}\n`);
});
