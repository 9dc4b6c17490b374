// The chain: reachable (connect + one RPC, with latencies), this clock against its latest block, and
// whether the hotkey is registered on the subnet. One connection serves all three.
import {performance} from 'node:perf_hooks';
import type {ChainClient} from '../chain/client.js';
import {errorMessage} from '../errors.js';
import {SKEW_WARN_MS} from '../orchestrator/clock-skew.js';
import {SYNC_CLOCK_FIX, fail, ms, pass, timeBox, type Check} from './types.js';

export type ChainTarget = {url: string; local: boolean; netuid: number; timeoutMs: number};

/** A block older than this on a live network (blocks every ~12 s) means this clock is ahead or the chain stalled. */
export const STALE_BLOCK_MS = 60_000;

export function chainClockCheck(blockMs: number, nowMs: number, local: boolean): Check {
	if (!(blockMs > 0)) return pass('clock_chain', 'the chain has no block timestamp yet');
	const age = nowMs - blockMs;
	const s = (n: number) => `${Math.round(Math.abs(n) / 1000)} s`;
	if (age < -SKEW_WARN_MS) {
		// The devnet stamps blocks it builds in a burst 12 s apart, so its time runs ahead of the wall clock.
		if (local) return pass('clock_chain', `latest block is stamped ${s(age)} ahead (the devnet stamps blocks 12 s apart, built on demand)`);
		return fail('clock_chain', `this clock is ${s(age)} behind the chain's latest block`, SYNC_CLOCK_FIX);
	}
	if (age > STALE_BLOCK_MS) {
		// The devnet builds blocks on demand, so an old block there says nothing about the clock.
		if (local) return pass('clock_chain', `latest block is ${s(age)} old (the devnet builds blocks on demand)`);
		return fail('clock_chain', `the latest block is ${s(age)} old: this clock is ahead, or the chain stalled`, SYNC_CLOCK_FIX);
	}
	return pass('clock_chain', `within ${s(age)} of the latest block (blocks come every ~12 s)`);
}

export function registrationCheck(netuid: number, hotkey: string, uid: number | null): Check {
	if (uid !== null) return pass('registration', `hotkey ${hotkey} is uid ${uid} on subnet ${netuid}`, true);
	return fail('registration', `hotkey ${hotkey} is not registered on subnet ${netuid}`, '`iota-tui register` registers it (burns TAO)', true);
}

const unreachableFix = (local: boolean) => local
	? 'start the local devnet: `iota-tui devnet` (or the chain alone: `iota-tui chain`)'
	: 'check the internet connection and --network (the chain endpoint must answer over wss://)';

/** The three chain checks; `hotkey` resolves to null when the wallet has no readable hotkey. */
export async function checkChain(t: ChainTarget, hotkey: Promise<string | null>): Promise<Check[]> {
	const started = performance.now();
	let chain: ChainClient;
	try {
		const {connectChain} = await import('../chain/client.js');
		chain = await timeBox(connectChain(t.url, t.timeoutMs), t.timeoutMs + 500);
	} catch (error) {
		const message = errorMessage(error).replace(/: is it running\?.*$/, '');
		const why = message.includes(t.url) ? message : `${t.url}: ${message}`;
		return [
			fail('chain', why, unreachableFix(t.local), true),
			fail('clock_chain', 'not checked: the chain is unreachable', 'reach the chain first'),
			fail('registration', 'not checked: the chain is unreachable', 'reach the chain first, then `iota-tui register` if needed', true),
		];
	}
	const connectMs = performance.now() - started;
	try {
		return await timeBox(readChain(chain, t, connectMs, hotkey), t.timeoutMs);
	} catch (error) {
		return [fail('chain', `${t.url} connected but did not answer: ${errorMessage(error)}`, unreachableFix(t.local), true),
			fail('clock_chain', 'not checked', 'reach the chain first'),
			fail('registration', 'not checked', 'reach the chain first', true)];
	} finally {
		void chain.close().catch(() => {});
	}
}

async function readChain(chain: ChainClient, t: ChainTarget, connectMs: number, hotkey: Promise<string | null>): Promise<Check[]> {
	const rpcStart = performance.now();
	const header = await chain.api.rpc.chain.getHeader();
	const rpcMs = performance.now() - rpcStart;
	const now = Number((await chain.api.query.timestamp!.now!()).toString());
	const reachable = pass('chain', `${t.url} answered in ${ms(rpcMs)} (connect ${ms(connectMs)}), block #${header.number.toNumber()}`, true);
	const clock = chainClockCheck(now, Date.now(), t.local);
	const key = await hotkey;
	if (!key) return [reachable, clock, fail('registration', 'not checked: no hotkey to look up', 'create or import the wallet first', true)];
	return [reachable, clock, registrationCheck(t.netuid, key, await chain.getUid(t.netuid, key))];
}
