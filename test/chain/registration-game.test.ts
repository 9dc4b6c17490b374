// The registration game on the real runtime: with a small target, interval, size and immunity the
// burn rises with demand and falls back, a full subnet prunes a non-immune uid, and limits refuse.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {startDevChain, type DevChain} from '../../source/chain/devchain.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {readRegistrationWindow} from '../../source/chain/registration-window.js';
import {burnHistory} from '../helpers/burn-history.js';

const NETUID = 9;
const INTERVAL = 8;
let dev: DevChain;
let chain: ChainClient;

before(async () => {
	dev = await startDevChain({blockIntervalMs: 0, emulateYuma: false, registration: {
		maxUids: 4, immunityPeriod: 1, targetPerInterval: 1, adjustmentInterval: INTERVAL, maxPerBlock: 1, adjustmentAlpha: 0n,
	}});
	chain = await connectChain(dev.url);
});

after(async () => {
	await chain?.close();
	await dev?.close();
});

const send = (method: string, ...params: unknown[]) => chain.api.rpc(method as never, ...(params as never[]));
const window = () => readRegistrationWindow(chain, NETUID);
const {lines: history, note, untilAdjusted, newKeys: newHotkey} = burnHistory(() => chain, NETUID, INTERVAL);

test('burn rises with demand and falls back; a full subnet prunes a non-immune uid; limits refuse', {timeout: 240_000}, async () => {
	// Funded first: each faucet transfer builds a block, which must not roll the interval over mid-test.
	const keys = await Promise.all([newHotkey(), newHotkey(), newHotkey(), newHotkey(), newHotkey()]);
	await note('(coldkeys funded)');
	const start = await untilAdjusted();
	const startBurn = start.burn!;
	for (const k of keys.slice(0, 2)) {
		await chain.burnedRegister(k.coldkey, k.hotkey, NETUID);
		await note('registered');
	}
	assert.equal((await window()).full, true);
	const before = await chain.hotkeys(NETUID);
	const regBlock = new Map<string, number>();
	for (const [uid, hotkey] of before.entries()) regBlock.set(hotkey, Number(await chain.api.query.subtensorModule.blockAtRegistration!(NETUID, uid)));

	// Two registrations in one block against a per-block maximum of 1: the second is refused.
	await send('dev_setBlockBuildMode', 'Manual');
	const both = Promise.allSettled([chain.burnedRegister(keys[2]!.coldkey, keys[2]!.hotkey, NETUID), chain.burnedRegister(keys[3]!.coldkey, keys[3]!.hotkey, NETUID)]);
	for (let i = 0; i < 120 && (await chain.api.rpc.author.pendingExtrinsics()).length < 2; i++) await new Promise(r => setTimeout(r, 250));
	await send('dev_newBlock', {count: 1});
	const [first, second] = await both;
	await send('dev_setBlockBuildMode', 'Instant');
	const w = await note('two registrations in one block');
	const ok = [first, second].filter(r => r.status === 'fulfilled');
	const refused = [first, second].filter(r => r.status === 'rejected').map(r => String((r as PromiseRejectedResult).reason?.message));
	console.log('per-block refusal:', refused);
	assert.equal(ok.length, 1);
	assert.match(refused[0]!, /TooManyRegistrationsThisBlock/);

	// The subnet was full: the new uid replaced a non-immune one whose hotkey is gone.
	const after = await chain.hotkeys(NETUID);
	const pruned = before.filter(h => !after.includes(h));
	console.log('pruned:', pruned.map(h => `uid ${before.indexOf(h)} (${h}, registered at block ${regBlock.get(h)}, immunity 1, pruned at block ${w.block})`));
	assert.equal(pruned.length, 1);
	assert.equal(await chain.getUid(NETUID, pruned[0]!), null);
	assert.ok(w.block - regBlock.get(pruned[0]!)! >= w.immunityPeriod!, 'the pruned uid was past its immunity');
	assert.equal(w.subnetN, 4);

	// Three registrations this interval against a target of 1: the fourth is refused.
	assert.equal(w.registrationsThisInterval, 3);
	const late = keys[4]!;
	await assert.rejects(chain.burnedRegister(late.coldkey, late.hotkey, NETUID), (error: Error) => {
		console.log('per-interval refusal:', error.message);
		assert.match(error.message, /registrations this interval|TooManyRegistrationsThisInterval/i);
		return true;
	});
	assert.equal(await chain.getUid(NETUID, late.hotkey), null);

	const raised = await untilAdjusted();
	const fallen = await untilAdjusted();
	console.log(`burn history (target 1 per ${INTERVAL} blocks):\n  ${history.join('\n  ')}`);
	assert.ok(raised.burn! > startBurn, `burn rose after 3 registrations: ${startBurn} -> ${raised.burn}`);
	assert.ok(fallen.burn! < raised.burn!, `burn fell after an interval with none: ${raised.burn} -> ${fallen.burn}`);
});
