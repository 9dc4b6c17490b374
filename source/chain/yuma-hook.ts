// Devnet-only: the spec-218 runtime's epoch is a mock that writes zero Incentive every block, so
// this chopsticks head hook recomputes subnet 9's Yuma vectors from the real on-chain weights and
// writes them onto each new head before any client hears of it (devnet-recipes.md §2.4).
import type {Block} from '@acala-network/chopsticks';
import {compactStripLength, u8aToHex} from '@polkadot/util';
import {splitEmission, toU16, yuma} from './yuma.js';

// A storage key from decorated metadata carries a compact length prefix; the raw key is without it.
const compactHex = (key: Uint8Array) => u8aToHex(compactStripLength(key)[1]);

type Codec = {toString(): string; toJSON(): unknown};
type HeadState = {subscribeHead(cb: (block: Block) => void | Promise<void>): string; unsubscribeHead(id: string): void};

export type YumaHookStats = {blocks: number; lastMs: number; maxMs: number; totalMs: number; lastError?: string};

/** Installs the hook; returns an uninstall function and running per-block cost figures. */
export function installYumaHook(headState: HeadState, netuid: number, log: (line: string) => void = () => {}): {stats: YumaHookStats; uninstall(): void} {
	const stats: YumaHookStats = {blocks: 0, lastMs: 0, maxMs: 0, totalMs: 0};
	const id = headState.subscribeHead(async block => {
		const t0 = performance.now();
		try {
			await emulate(block, netuid);
		} catch (error) {
			stats.lastError = (error as Error).message;
			log(`yuma hook: block ${block.number}: ${stats.lastError}`);
		}
		const ms = performance.now() - t0;
		stats.blocks++;
		stats.lastMs = ms;
		stats.totalMs += ms;
		stats.maxMs = Math.max(stats.maxMs, ms);
	});
	return {stats, uninstall: () => headState.unsubscribeHead(id)};
}

async function emulate(block: Block, netuid: number): Promise<void> {
	const meta = await block.meta;
	const sm = meta.query.subtensorModule as unknown as Record<string, (...args: unknown[]) => Uint8Array>;
	const read = async (type: string, item: string, ...args: unknown[]): Promise<Codec | undefined> =>
		(await block.read(type, sm[item] as never, ...args)) as Codec | undefined;
	const num = async (type: string, item: string, fallback: number, ...args: unknown[]) => {
		const v = await read(type, item, ...args);
		return v === undefined ? fallback : Number(v.toString());
	};
	const n = await num('u16', 'subnetworkN', 0, netuid);
	if (n === 0) return;
	// Defaults are the runtime's (Kappa 32767, ActivityCutoff 5000, MaxAllowedValidators 128).
	const [kappa, cutoff, maxValidators, taoWeightRaw] = await Promise.all([
		num('u16', 'kappa', 32767, netuid),
		num('u16', 'activityCutoff', 5000, netuid),
		num('u16', 'maxAllowedValidators', 128, netuid),
		read('u64', 'taoWeight', netuid),
	]);
	const taoWeight = taoWeightRaw ? Number(BigInt(taoWeightRaw.toString())) / 2 ** 64 : 0;
	const uids = Array.from({length: n}, (_, i) => i);
	const hotkeys = await Promise.all(uids.map(i => read('AccountId', 'keys', netuid, i).then(v => v?.toString())));
	const stake = await Promise.all(hotkeys.map(async hk => {
		if (!hk) return 0;
		const [alpha, root] = await Promise.all([read('u64', 'totalHotkeyAlpha', hk, netuid), read('u64', 'totalHotkeyAlpha', hk, 0)]);
		return Number(alpha?.toString() ?? 0) + taoWeight * Number(root?.toString() ?? 0);
	}));
	const weights = await Promise.all(uids.map(async i => ((await read('Vec<(u16,u16)>', 'weights', netuid, i))?.toJSON() ?? []) as [number, number][]));
	const lastUpdate = ((await read('Vec<u64>', 'lastUpdate', netuid))?.toJSON() ?? []) as number[];
	const registeredAt = await Promise.all(uids.map(i => num('u64', 'blockAtRegistration', 0, netuid, i)));
	const out = yuma({
		stake, weights, registeredAt, block: block.number, activityCutoff: cutoff, maxValidators, kappa: kappa / 65535,
		lastUpdate: uids.map(i => Number(lastUpdate[i] ?? 0)),
	});

	const registry = await block.registry;
	const key = (item: string) => compactHex(sm[item]!(netuid));
	const hex = (type: string, v: unknown) => registry.createType(type, v).toHex();
	const u16s = (v: number[]) => hex('Vec<u16>', v.map(toU16));
	const entries: [string, `0x${string}`][] = [
		[key('incentive'), u16s(out.incentive)],
		[key('dividends'), u16s(out.dividends)],
		[key('consensus'), u16s(out.consensus)],
		[key('rank'), u16s(out.rank)],
		[key('trust'), u16s(out.trust)],
		[key('validatorTrust'), u16s(out.validatorTrust)],
		[key('validatorPermit'), hex('Vec<bool>', out.permit)],
		[key('active'), hex('Vec<bool>', out.active)],
	];
	const emission = ((await read('Vec<u64>', 'emission', netuid))?.toJSON() ?? []) as (number | string)[];
	const total = emission.reduce<bigint>((a, e) => a + BigInt(e), 0n);
	const split = splitEmission(total, out.incentive, out.dividends);
	if (split) entries.push([key('emission'), hex('Vec<u64>', split)]);
	block.pushStorageLayer().setAll(entries);
}
