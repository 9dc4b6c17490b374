// Registration events through the reducer, the dashboard and headless output: the window shown, a lost uid
// pausing the miner (no later event moves it back to training), a new uid resuming it with what it cost.
import '../ui/force-color.js';
import {test} from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import {initialMinerState, minerReducer} from '../../source/miner/reducer.js';
import type {MinerEvent, MinerState, RegistrationInfo} from '../../source/miner/types.js';
import {Dashboard} from '../../source/ui/dashboard/index.js';
import {loadTheme} from '../../source/ui/theme.js';
import {jsonEvent, plainEvent} from '../../source/ui/headless.js';
import {renderAt} from '../ui/render.js';
import {NOW, trainingStore} from '../ui/fixtures.js';

const at = NOW - 20_000;
const info = (over: Partial<RegistrationInfo> = {}): RegistrationInfo => ({
	block: 812, burnRao: '1500000000', burnBeforeRao: '1000000000', open: true, why: null, thisInterval: 2, targetPerInterval: 1, thisBlock: 0, maxPerBlock: 1,
	blocksUntilReset: 5, subnetN: 4, maxUids: 4, immunityPeriod: 1, capRao: '2000000000', waitingFor: null, ...over,
});
const run = (events: MinerEvent[], s: MinerState) => events.reduce(minerReducer, s);
const draw = (s: MinerState, w: number, h: number) => {
	const app = renderAt(<Dashboard state={s} theme={loadTheme('none')} width={w} height={h} view="main" now={NOW} />, w, h);
	const frame = app.frame();
	app.unmount();
	return frame;
};

test('a lost uid pauses the miner until a new one; later work events do not move it back to training', () => {
	const training = trainingStore().getState();
	let s = run([{type: 'registration', info: info()}, {type: 'deregistered', uid: 3, block: 812, auto: true, at}], training);
	assert.equal(s.status, 'deregistered');
	assert.equal(s.uid, null);
	assert.deepEqual(s.deregistered, {uid: 3, block: 812, at});
	assert.match(s.log.at(-1)!.text, /lost uid 3 .*block 812.*mining paused, uploads kept; registering again under the --max-burn cap/);
	s = run([{type: 'batch', direction: 'forward', activationUid: 'x', tokens: 10, ms: 5, at}, {type: 'phase', layer: 1, phase: 'is_training', at}], s);
	assert.equal(s.status, 'deregistered');
	s = minerReducer(s, {type: 'chain_registered', uid: 1, again: {burnRao: '1500000000', block: 820, at: at + 1}});
	assert.equal(s.status, 'registering');
	assert.equal(s.uid, 1);
	assert.equal(s.deregistered, null);
	assert.equal(s.log.at(-1)!.text, 'registered again: uid 1, burned 1.5000 TAO in block 820; mining resumes');
	assert.equal(minerReducer(s, {type: 'registered', layer: 1, version: 'v', at}).status, 'training');
	const manual = minerReducer(initialMinerState(), {type: 'deregistered', uid: 2, block: null, auto: false, at});
	assert.match(manual.log.at(-1)!.text, /register it again \(`iota-tui register`, or restart with `mine --auto --max-burn TAO`\)/);
});

test('the dashboard shows the registration panel at 120x40 and a lost uid at every size', () => {
	const s = run([{type: 'registration', info: info()}], trainingStore().getState());
	const full = draw(s, 120, 40);
	for (const t of ['Registration open', 'burn τ1.5 ↑ from τ1', 'regs 2/1 · block 0/1', 'reset in 5 blk · cap τ2', 'uids 4/4 full · immune 1']) {
		assert.ok(full.includes(t), `no "${t}" in\n${full}`);
	}
	assert.ok(!draw(s, 80, 24).includes('Registration'), 'the compact tier has no room for it');
	const lost = run([{type: 'registration', info: info({open: false, why: 'interval at 3x target (3/3)', waitingFor: 'interval full (3/3), resets in 5 blocks (block 812)'})}, {type: 'deregistered', uid: 3, block: 812, auto: true, at}], s);
	const frame = draw(lost, 120, 40);
	for (const t of ['● deregistered', '✖ uid 3 lost 20s ago: mining paused, uploads kept', 'Registration closed', '✖ uid 3 lost: paused', 'waiting: interval full (3']) {
		assert.ok(frame.includes(t), `no "${t}" in\n${frame}`);
	}
	assert.ok(draw(lost, 80, 24).includes('✖ uid 3 lost'), '80x24 shows the lost uid');
	assert.ok(draw(lost, 60, 20).includes('✖ uid 3 lost'), '60x20 shows the lost uid');
});

test('headless: NDJSON events for the window, the loss and the new uid; plain lines for the last two', () => {
	const s = initialMinerState();
	const r = jsonEvent({type: 'registration', info: info()}, s, 'hk');
	assert.deepEqual(r, {event: 'registration', hotkey: 'hk', block: 812, burn_rao: '1500000000', burn_before_rao: '1000000000', open: true, why: null, this_interval: 2,
		target_per_interval: 1, blocks_until_reset: 5, subnet_n: 4, max_uids: 4, immunity_period: 1, cap_rao: '2000000000', waiting_for: null});
	assert.equal(plainEvent({type: 'registration', info: info()}, s), null);
	const lostEvent: MinerEvent = {type: 'deregistered', uid: 3, block: 812, auto: false, at};
	assert.deepEqual(jsonEvent(lostEvent, s, 'hk'), {event: 'deregistered', hotkey: 'hk', uid: 3, block: 812, auto: false});
	assert.match(plainEvent(lostEvent, minerReducer(s, lostEvent))!, /^error the hotkey lost uid 3 /);
	const again: MinerEvent = {type: 'chain_registered', uid: 1, again: {burnRao: '7', block: 9, at}};
	assert.deepEqual(jsonEvent(again, s, 'hk'), {event: 'chain_registered', hotkey: 'hk', uid: 1, again: true, burn_rao: '7', block: 9});
	assert.match(plainEvent(again, minerReducer(s, again))!, /^info registered again: uid 1/);
	assert.deepEqual(jsonEvent({type: 'chain_registered', uid: 4}, s, 'hk'), {event: 'chain_registered', hotkey: 'hk', uid: 4});
});
