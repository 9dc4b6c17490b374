// Simplified Yuma on matrices small enough to check by hand.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {splitEmission, stakeWeightedMedian, toU16, topK, yuma, type YumaInput} from '../../source/chain/yuma.js';

const close = (a: number[], b: number[], eps = 1e-9) => assert.ok(a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) < eps), `${a} != ${b}`);
const base = (over: Partial<YumaInput>): YumaInput => ({
	stake: [], weights: [], lastUpdate: [], registeredAt: [], block: 100, activityCutoff: 5000, maxValidators: 64, kappa: 0.5, ...over,
});

test('stake-weighted median: the largest value backed by kappa of the stake', () => {
	assert.equal(stakeWeightedMedian([0.5, 0.9], [0.6, 0.4], 0.5), 0.5); // 0.9 has only 0.4 behind it
	assert.equal(stakeWeightedMedian([0.5, 0.9], [0.4, 0.6], 0.5), 0.9);
	assert.equal(stakeWeightedMedian([0.2, 0.0, 0.0], [0.3, 0.3, 0.4], 0.5), 0); // most stake says 0
	assert.equal(stakeWeightedMedian([0.3, 0.1, 0.2], [1, 1, 1].map(x => x / 3), 0.5), 0.2);
	assert.equal(stakeWeightedMedian([0.9], [0], 0.5), 0); // no stake, no consensus
});

test('top-k permits by stake, never to zero stake', () => {
	assert.deepEqual(topK([5, 0, 9, 1], 2), [true, false, true, false]);
	assert.deepEqual(topK([0, 0, 3], 64), [false, false, true]);
});

test('one validator: incentive is its normalised weights, dividends all its own', () => {
	// uid 0 owner (tiny stake, no weights), uid 1 validator, uids 2..5 miners weighted 10:20:30:40.
	const out = yuma(base({
		stake: [1, 99, 0, 0, 0, 0],
		weights: [[], [[2, 10], [3, 20], [4, 30], [5, 40]], [], [], [], []],
		lastUpdate: [0, 50, 10, 10, 10, 10],
		registeredAt: [0, 1, 10, 10, 10, 10],
	}));
	close(out.incentive, [0, 0, 0.1, 0.2, 0.3, 0.4]);
	close(out.consensus, [0, 0, 0.1, 0.2, 0.3, 0.4]);
	close(out.dividends, [0, 1, 0, 0, 0, 0]);
	close(out.trust, [0, 0, 1, 1, 1, 1]);
	close(out.validatorTrust, [0, 1, 0, 0, 0, 0]);
	assert.deepEqual(out.incentive.map(toU16), [0, 0, 6553, 13107, 19660, 26214]);
	assert.deepEqual(out.permit, [true, true, false, false, false, false]);
});

test('two validators disagree: weights above consensus are clipped', () => {
	// v0 (stake 0.6) weights miners 2,3 as 0.5/0.5; v1 (0.4) as 0.9/0.1.
	const out = yuma(base({
		stake: [60, 40, 0, 0],
		weights: [[[2, 1], [3, 1]], [[2, 9], [3, 1]], [], []],
		lastUpdate: [50, 50, 1, 1],
		registeredAt: [0, 0, 1, 1],
	}));
	// Column 2: values 0.5 (0.6) and 0.9 (0.4) -> consensus 0.5. Column 3: 0.5 (0.6), 0.1 (0.4) -> 0.5.
	close(out.consensus, [0, 0, 0.5, 0.5]);
	// Clipped: v0 [0.5, 0.5], v1 [0.5, 0.1]. Rank 2 = 0.6*.5+.4*.5 = .5, rank 3 = .3+.04 = .34.
	close(out.rank, [0, 0, 0.5, 0.34]);
	close(out.incentive, [0, 0, 0.5 / 0.84, 0.34 / 0.84]);
	// Pre-rank 2 = .3+.36 = .66 -> trust .5/.66; pre-rank 3 = .3+.04 -> trust 1.
	close(out.trust, [0, 0, 0.5 / 0.66, 1]);
	close(out.validatorTrust, [1, 0.6, 0, 0]);
	// Bonds: column 2 = [.3, .2]/.5, column 3 = [.3, .04]/.34. D0 = .6*I2 + (.3/.34)*I3.
	const i2 = 0.5 / 0.84, i3 = 0.34 / 0.84;
	const d0 = 0.6 * i2 + (0.3 / 0.34) * i3, d1 = 0.4 * i2 + (0.04 / 0.34) * i3;
	close(out.dividends, [d0 / (d0 + d1), d1 / (d0 + d1), 0, 0]);
});

test('self weights, stale weights, inactive and unpermitted validators do not count', () => {
	const out = yuma(base({
		block: 100,
		activityCutoff: 20,
		maxValidators: 2,
		// v0 weights itself and miner 3; v1 is inactive; v2 has no permit (third by stake).
		stake: [50, 40, 10, 0],
		weights: [[[0, 5], [3, 5]], [[3, 1]], [[3, 1]], []],
		lastUpdate: [90, 10, 95, 0],
		registeredAt: [0, 0, 0, 5],
	}));
	assert.deepEqual(out.active, [true, false, true, false]);
	assert.deepEqual(out.permit, [true, true, false, false]);
	close(out.incentive, [0, 0, 0, 1]);
	close(out.dividends, [1, 0, 0, 0]);
	// A weight set before the target registered is dropped.
	const stale = yuma(base({stake: [1, 0], weights: [[[1, 1]], []], lastUpdate: [5, 0], registeredAt: [0, 5]}));
	close(stale.incentive, [0, 0]);
});

test('emission is re-split by (incentive + dividends) / 2, keeping the total', () => {
	assert.deepEqual(splitEmission(1000n, [0, 0.25, 0.75], [1, 0, 0]), [500n, 125n, 375n]);
	assert.equal(splitEmission(1000n, [0, 0], [0, 0]), null);
});
