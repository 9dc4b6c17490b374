// Hostile cases against the work ledger, validly signed and well-formed: publishes and losses
// for work that was never handed to the sender, in the wrong direction, or already done, and
// merge-phase calls while the layers are training.
import {randomUUID} from 'node:crypto';
import type {Fixture} from './orchestrator-fixture.js';
import {partition, SIGNED, signed, type Case, type Route} from './orchestrator-routes.js';

const route = (name: string) => SIGNED.find(r => r.name === name)!;
const status = route('miners/status');
const loss = route('report_loss');

const publish = (name: string, layer: number, dir: string, uid: (fx: Fixture) => string, key: string): Case => ({
	name,
	build: fx => signed(fx, status, {pair: fx.miners[layer], body: JSON.stringify({status: dir, activation_uid: uid(fx), activation_path: fx.keys[key]})}),
});
const report = (name: string, layer: number, uid: (fx: Fixture) => string, value = 2.5): Case => ({
	name,
	build: fx => signed(fx, loss, {pair: fx.miners[layer], body: JSON.stringify({activation_uid: uid(fx), loss_value: value})}),
});
const s1 = (fx: Fixture) => fx.samples.s1;
const s2 = (fx: Fixture) => fx.samples.s2;
const s3 = (fx: Fixture) => fx.samples.s3;
const fresh = () => randomUUID();

export function idCases(): Case[] {
	return [
		publish('the same forward twice (layer 0, S1 already queued)', 0, 'forward', s1, 's1-forward-again'),
		publish('the same forward twice (layer 0, S2 already queued)', 0, 'forward', s2, 's2-forward-again'),
		publish('an initial over an in-flight sample\'s token ids', 0, 'initial', s1, 's1-initial-again'),
		publish('another sample\'s object under a new uid', 0, 'forward', fresh, 's1-forward-again'),
		publish('another sample\'s object under S2', 0, 'forward', s2, 'new-forward-0'),
		publish('an initial object published as forward', 0, 'forward', s1, 's1-initial-again'),
		publish('a forward object published as initial', 0, 'initial', s2, 's2-forward-again'),
		publish('layer 0 backward never handed out', 0, 'backward', s1, 's1-backward-0'),
		publish('layer 1 forward for a sample handed to nobody', 1, 'forward', s2, 's2-forward-1'),
		publish('layer 1 backward while holding the forward', 1, 'backward', s1, 's1-backward-1'),
		publish('tail backward for a sample it never got', 2, 'backward', s1, 's1-backward-2'),
		publish('tail backward published twice', 2, 'backward', s3, 's3-backward-again'),
		publish('layer 1 publishes a layer 0 object', 1, 'forward', s1, 's1-forward-again'),
		publish('layer 2 publishes an initial', 2, 'initial', s1, 's1-initial-again'),
		publish('an initial over a finished sample\'s token ids', 0, 'initial', s3, 's3-initial-again'),
		report('a loss twice for the same sample', 2, s3),
		report('a loss for a sample never handed to the tail', 2, s1),
		report('a loss for a uid never handed out', 2, fresh),
		report('a loss from layer 1', 1, s1),
		report('a loss from layer 0', 0, s2),
		{name: 'a publish by a hotkey that never registered as miner', build: fx => signed(fx, status, {pair: fx.idle, body: JSON.stringify({status: 'forward', activation_uid: fx.samples.s1, activation_path: fx.keys['s1-forward-again']})})},
		{name: 'a partition for another miner', build: fx => signed(fx, route('notify_merged_partitions'), {body: JSON.stringify([{...partition(fx), miner_hotkey: fx.miners[1]!.address}])})},
	];
}

export function phaseCases(): Case[] {
	const phased: Route[] = [route('get_chunks_for_miner'), route('notify_weights_uploaded'), route('notify_merged_partitions')];
	return phased.flatMap(r => [0, 1, 2].map((layer): Case => ({name: `${r.name} from layer ${layer} while training`, build: fx => signed(fx, r, {pair: fx.miners[layer]})})));
}
