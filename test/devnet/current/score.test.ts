// The devnet validator on the current protocol, through the real chain, store and orchestrator: work
// the current state records becomes scores, the scores weights on chain, and the devnet-emulated
// Incentive follows; a miner reads its own score from the devnet-only route.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import type {CurrentClient} from '../../../source/orchestrator/current/client.js';
import {currentScoreOf, MISMATCH_COST} from '../../../source/devnet/current/score.js';
import {z} from 'zod';
import {clientFor, register, startCurrentEnv, type CurrentEnv} from './helpers.js';

let env: CurrentEnv;
const by: CurrentClient[] = [];
const h = (s: string) => s.repeat(64).slice(0, 64);
const Score = z.object({score: z.number(), work: z.record(z.string(), z.number())});
const myScore = (c: CurrentClient) => c.transport.call('GET', '/devnet/miner_score', Score);

before(async () => {
	env = await startCurrentEnv({hotkeys: 2, chain: true, validator: {auto: false}});
	for (const pair of env.pairs) {
		const c = clientFor(env.devnet.orchestrator, pair);
		by[(await register(c)).layer!] = c;
	}
});
after(() => env?.close());

test('score formula: work units, mismatches cost MISMATCH_COST each, never below 0', () => {
	assert.equal(currentScoreOf({forwards: 3, backwards: 2, weightsSubmitted: 1, partitionsMerged: 2, mismatches: 0}), 8);
	assert.equal(currentScoreOf({forwards: 30, backwards: 0, weightsSubmitted: 0, partitionsMerged: 0, mismatches: 1}), 30 - MISMATCH_COST);
	assert.equal(currentScoreOf({forwards: 1, backwards: 0, weightsSubmitted: 0, partitionsMerged: 0, mismatches: 1}), 0);
});

test('two miners work; after a validator round the chain shows incentive for both, by score', async () => {
	const [a, b] = by as [CurrentClient, CurrentClient];
	// a (layer 0) submits three forwards; b (layer 1) the next forward of one of them, hashes chained.
	const acts = await a.getActivations(3);
	assert.equal(acts.length, 3);
	for (const [i, act] of acts.entries()) await a.submitActivation({direction: 'forward', activation_id: act.activation_id, input_activation_hash: h('0'), output_activation_hash: h(String(i + 1))});
	await b.submitActivation({direction: 'forward', activation_id: acts[0]!.activation_id, input_activation_hash: h('1'), output_activation_hash: h('9')});
	assert.deepEqual([(await myScore(a)).score, (await myScore(b)).score], [3, 1]);
	assert.equal((await myScore(a)).work.forwards, 3);

	const round = await env.devnet.validator!.tick();
	assert.equal(round.skipped, undefined);
	assert.deepEqual(round.scores, {[a.hotkey]: 3, [b.hotkey]: 1});
	const chain = env.chain!;
	const [na, nb] = [await chain.neuron(env.devnet.netuid, a.hotkey), await chain.neuron(env.devnet.netuid, b.hotkey)];
	assert.deepEqual(round.uids, [na.uid, nb.uid].sort((x, y) => x! - y!));
	assert.deepEqual(round.weights, na.uid! < nb.uid! ? [65535, 21845] : [21845, 65535]); // 3 : 1
	let ia = 0, ib = 0;
	for (let i = 0; i < 5 && !(ia && ib); i++) {
		await chain.api.rpc('dev_newBlock' as never, {count: 1} as never);
		[ia, ib] = [(await chain.neuron(env.devnet.netuid, a.hotkey)).incentive ?? 0, (await chain.neuron(env.devnet.netuid, b.hotkey)).incentive ?? 0];
	}
	assert.ok(ib > 0 && ia > ib, `incentive ${ia} ${ib}`);
	assert.ok(Math.abs(ia - 0.75) < 1e-3, `${ia}`);
	assert.equal((await env.devnet.validator!.chainScore(a.hotkey)).emulated, true);
});

test('a hash-chain mismatch counts against both miners in it', async () => {
	const [a, b] = by as [CurrentClient, CurrentClient];
	const [x] = await a.getActivations(1);
	await a.submitActivation({direction: 'forward', activation_id: x!.activation_id, input_activation_hash: h('0'), output_activation_hash: h('a')});
	await b.submitActivation({direction: 'forward', activation_id: x!.activation_id, input_activation_hash: h('b'), output_activation_hash: h('c')});
	assert.deepEqual([(await myScore(a)).score, (await myScore(b)).score], [0, 0], `4 - ${MISMATCH_COST} and 2 - ${MISMATCH_COST}, floored`);
	assert.equal((await env.devnet.validator!.tick()).skipped, 'no miner has a score yet');
});
