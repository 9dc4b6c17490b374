// The subnet's registration window read from the chain: counters vs limits, burn, interval reset, size, immunity.
import type {ApiPromise} from '@polkadot/api';
import {errorMessage} from '../errors.js';

type Storage = Record<string, ((...args: unknown[]) => Promise<{toString(): string}>) | undefined>;

export type RegistrationWindow = {
	netuid: number;
	block: number;
	registrationAllowed: boolean | null;
	registrationsThisInterval: number | null;
	targetPerInterval: number | null;
	registrationsThisBlock: number | null;
	maxPerBlock: number | null;
	burn: bigint | null;
	minBurn: bigint | null;
	maxBurn: bigint | null;
	adjustmentInterval: number | null;
	lastAdjustmentBlock: number | null;
	blocksUntilReset: number | null;
	subnetN: number | null;
	maxUids: number | null;
	full: boolean | null;
	immunityPeriod: number | null;
};

export type BurnTrend = 'up' | 'down' | 'flat';

/** Reads one storage item for the subnet, or null when this runtime's metadata has no such item. */
async function item(storage: Storage, name: string, netuid: number): Promise<string | null> {
	const query = storage[name];
	if (!query) return null;
	return (await query(netuid)).toString();
}

const num = (v: string | null) => (v === null ? null : Number(v));
const big = (v: string | null) => (v === null ? null : BigInt(v));
const bool = (v: string | null) => (v === null ? null : v === 'true');

/** The interval resets in the block where block - LastAdjustmentBlock reaches AdjustmentInterval (Subtensor's block_step). */
export function blocksUntilReset(block: number, lastAdjustment: number | null, interval: number | null): number | null {
	if (lastAdjustment === null || interval === null || interval === 0) return null;
	return Math.max(0, lastAdjustment + interval - block);
}

/** Reads the window at the given block hash (the head when omitted), so every field is from the same block. */
export async function readRegistrationWindow(client: {api: ApiPromise}, netuid: number, blockHash?: string): Promise<RegistrationWindow> {
	const api = blockHash ? await client.api.at(blockHash) : client.api;
	const storage = (api.query.subtensorModule ?? {}) as unknown as Storage;
	const read = (name: string) => item(storage, name, netuid);
	const [block, allowed, thisInterval, target, thisBlock, maxPerBlock, burn, minBurn, maxBurn, interval, lastAdjustment, n, maxUids, immunity] = await Promise.all([
		api.query.system.number().then(v => Number(v.toString())),
		read('networkRegistrationAllowed'), read('registrationsThisInterval'), read('targetRegistrationsPerInterval'),
		read('registrationsThisBlock'), read('maxRegistrationsPerBlock'), read('burn'), read('minBurn'), read('maxBurn'),
		read('adjustmentInterval'), read('lastAdjustmentBlock'), read('subnetworkN'), read('maxAllowedUids'), read('immunityPeriod'),
	]);
	const subnetN = num(n);
	const maxAllowed = num(maxUids);
	return {
		netuid,
		block,
		registrationAllowed: bool(allowed),
		registrationsThisInterval: num(thisInterval),
		targetPerInterval: num(target),
		registrationsThisBlock: num(thisBlock),
		maxPerBlock: num(maxPerBlock),
		burn: big(burn),
		minBurn: big(minBurn),
		maxBurn: big(maxBurn),
		adjustmentInterval: num(interval),
		lastAdjustmentBlock: num(lastAdjustment),
		blocksUntilReset: blocksUntilReset(block, num(lastAdjustment), num(interval)),
		subnetN,
		maxUids: maxAllowed,
		full: subnetN === null || maxAllowed === null ? null : subnetN >= maxAllowed,
		immunityPeriod: num(immunity),
	};
}

/**
 * Whether a burned registration would pass the runtime's checks now, and if not why. The rules are
 * Subtensor's do_burned_registration (opentensor/subtensor pallets/subtensor/src/subnets/registration.rs):
 * NetworkRegistrationAllowed, RegistrationsThisBlock < MaxRegistrationsPerBlock, and
 * RegistrationsThisInterval < TargetRegistrationsPerInterval * 3. A full subnet still registers (it prunes a uid).
 * RegistrationsThisBlock is zeroed at the start of each block, so a full block closes only that block.
 */
export function windowOpen(w: RegistrationWindow): {open: boolean; reason: string | null} {
	if (w.registrationAllowed === false) return {open: false, reason: 'registration disabled on this subnet'};
	if (w.registrationsThisBlock !== null && w.maxPerBlock !== null && w.registrationsThisBlock >= w.maxPerBlock) {
		return {open: false, reason: `block at its maximum (${w.registrationsThisBlock}/${w.maxPerBlock})`};
	}
	if (w.registrationsThisInterval !== null && w.targetPerInterval !== null && w.registrationsThisInterval >= w.targetPerInterval * 3) {
		return {open: false, reason: `interval at 3x target (${w.registrationsThisInterval}/${w.targetPerInterval * 3})`};
	}
	return {open: true, reason: null};
}

/** Direction of the burn over the given readings (oldest first): the last against the first. */
export function burnTrend(samples: readonly bigint[]): BurnTrend {
	if (samples.length < 2) return 'flat';
	const first = samples[0]!;
	const last = samples[samples.length - 1]!;
	return last > first ? 'up' : last < first ? 'down' : 'flat';
}

/**
 * Reads the window at each new head, one read at a time; heads that arrive during a read collapse to the
 * newest, so a slow link skips blocks instead of queueing them. Resolves to the unsubscribe function.
 */
export async function followHeads(chain: {api: ApiPromise}, netuid: number, onWindow: (w: RegistrationWindow) => void | Promise<void>, onError: (message: string) => void) {
	let next: string | null = null;
	let reading = false;
	const drain = async () => {
		reading = true;
		while (next) {
			const hash = next;
			next = null;
			try {
				await onWindow(await readRegistrationWindow(chain, netuid, hash));
			} catch (error) {
				onError(errorMessage(error));
			}
		}
		reading = false;
	};
	return chain.api.rpc.chain.subscribeNewHeads(header => {
		next = header.hash.toHex();
		if (!reading) void drain();
	});
}
