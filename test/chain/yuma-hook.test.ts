// The Yuma head hook on the real Subtensor runtime (chopsticks): the devnet validator sets weights,
// and after the next blocks Incentive and Emission read through ChainClient follow them.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import type {KeyringPair} from '@polkadot/keyring/types';
import {startDevChain, type DevChain} from '../../source/chain/devchain.js';
import {connectChain, type ChainClient} from '../../source/chain/client.js';
import {devnetKey} from '../../source/chain/devnet-keys.js';
import {sendAndWait} from '../../source/chain/tx.js';
import {newMnemonic, pairFromMnemonic} from '../../source/wallet/keys.js';

let devchain: DevChain;
let chain: ChainClient;
const miners: {hotkey: KeyringPair; uid: number}[] = [];

before(async () => {
	devchain = await startDevChain();
	chain = await connectChain(devchain.url);
	for (let i = 0; i < 3; i++) {
		const coldkey = await pairFromMnemonic(newMnemonic());
		const hotkey = await pairFromMnemonic(newMnemonic());
		await chain.fundFromFaucet(coldkey.address);
		miners.push({hotkey, uid: (await chain.burnedRegister(coldkey, hotkey.address, devchain.netuid)).uid});
	}
});
after(async () => {
	await chain?.close();
	await devchain?.close();
});

const newBlock = () => chain.api.rpc('dev_newBlock' as never, {count: 1} as never);

test('the devnet validator is registered, staked and permitted', async () => {
	const v = await chain.neuron(9, (await devnetKey('validatorHotkey')).address);
	assert.equal(v.registered, true);
	assert.equal(v.validatorPermit, true);
});

test('without weights, miners have no incentive and no emission', async () => {
	for (const m of miners) {
		const n = await chain.neuron(9, m.hotkey.address);
		assert.equal(n.incentive, 0);
		assert.equal(n.emission, '0');
	}
});

test('weights 1:2:3 become incentive 1/6:2/6:3/6 and emission moves to the miners', async () => {
	const validator = await devnetKey('validatorHotkey');
	await sendAndWait(chain.api, chain.api.tx.subtensorModule.setWeights(9, miners.map(m => m.uid), [1000, 2000, 3000], 0), validator);
	let incentives: number[] = [];
	for (let i = 0; i < 5; i++) {
		incentives = await Promise.all(miners.map(async m => (await chain.neuron(9, m.hotkey.address)).incentive ?? 0));
		if (incentives.every(x => x > 0)) break;
		await newBlock();
	}
	assert.ok(incentives.every(x => x > 0), `incentive ${incentives}`);
	assert.ok(incentives[0]! < incentives[1]! && incentives[1]! < incentives[2]!, `ordered like the weights: ${incentives}`);
	for (const [i, share] of [1 / 6, 2 / 6, 3 / 6].entries()) assert.ok(Math.abs(incentives[i]! - share) < 1e-3, `${incentives[i]} ~ ${share}`);
	await newBlock(); // a block with no transaction keeps them: the hook runs on every head
	const emissions = await Promise.all(miners.map(async m => BigInt((await chain.neuron(9, m.hotkey.address)).emission ?? '0')));
	assert.ok(emissions[0]! > 0n && emissions[0]! < emissions[1]! && emissions[1]! < emissions[2]!, `emission ${emissions}`);
	const v = await chain.neuron(9, validator.address);
	assert.ok((v.dividends ?? 0) > 0.99, `validator dividends ${v.dividends}`);
	assert.ok(v.emission && BigInt(v.emission) > 0n);
	const stats = devchain.yuma!;
	assert.ok(stats.blocks > 0 && stats.lastError === undefined, JSON.stringify(stats));
	process.stdout.write(`# yuma hook: ${stats.blocks} blocks, mean ${(stats.totalMs / stats.blocks).toFixed(1)} ms, max ${stats.maxMs.toFixed(1)} ms\n`);
});
