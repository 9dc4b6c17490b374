// Devnet registration game: tunes subnet 9's registration limits, burn bounds and size through the
// runtime's own adminUtils calls (sudo), so windows, burn adjustment and pruning run as on finney.
import type {ApiPromise} from '@polkadot/api';
import type {KeyringPair} from '@polkadot/keyring/types';
import type {DispatchError} from '@polkadot/types/interfaces';
import {describeDispatchError, sendAndWait} from './tx.js';

export type RegistrationGame = {
	/** TargetRegistrationsPerInterval: the burn rises above it, falls below it; 3x is the interval's cap. */
	targetPerInterval?: number;
	/** AdjustmentInterval in blocks: when the burn is adjusted and the interval counter resets. */
	adjustmentInterval?: number;
	/** MaxRegistrationsPerBlock. */
	maxPerBlock?: number;
	/** MaxAllowedUids: once full, a new registration prunes the lowest-scored non-immune uid. */
	maxUids?: number;
	/** ImmunityPeriod in blocks: a uid younger than this is never pruned. */
	immunityPeriod?: number;
	/** MinBurn and MaxBurn in rao: the bounds the adjusted burn stays within. */
	minBurn?: bigint;
	maxBurn?: bigint;
	/** AdjustmentAlpha (0..2^64-1): how much of the old burn is kept at each adjustment; 0 moves it fully. */
	adjustmentAlpha?: bigint;
};

/** adminUtils call and its option, in the order they are applied. */
const CALLS: [call: string, key: keyof RegistrationGame][] = [
	['sudoSetMaxAllowedUids', 'maxUids'],
	['sudoSetImmunityPeriod', 'immunityPeriod'],
	['sudoSetTargetRegistrationsPerInterval', 'targetPerInterval'],
	['sudoSetAdjustmentInterval', 'adjustmentInterval'],
	['sudoSetMaxRegistrationsPerBlock', 'maxPerBlock'],
	['sudoSetAdjustmentAlpha', 'adjustmentAlpha'],
	['sudoSetMinBurn', 'minBurn'],
	['sudoSetMaxBurn', 'maxBurn'],
];

export function hasRegistrationGame(game: RegistrationGame | undefined): game is RegistrationGame {
	return !!game && CALLS.some(([, key]) => game[key] !== undefined);
}

/** One sudo batch, one block; a refused call fails the whole batch with its pallet error. */
export async function applyRegistrationGame(api: ApiPromise, sudo: KeyringPair, netuid: number, game: RegistrationGame): Promise<string[]> {
	const admin = api.tx.adminUtils;
	const calls = [];
	const applied: string[] = [];
	for (const [name, key] of CALLS) {
		const value = game[key];
		if (value === undefined) continue;
		if (!admin[name]) throw new Error(`this runtime has no adminUtils.${name}`);
		calls.push(admin[name]!(netuid, value));
		applied.push(`${name}(${netuid}, ${value})`);
	}
	const result = await sendAndWait(api, api.tx.sudo.sudo(api.tx.utility.batchAll(calls)), sudo);
	// sudo reports the inner call's failure in its Sudid event, not as ExtrinsicFailed.
	const sudid = result.events.find(e => e.event.section === 'sudo' && e.event.method === 'Sudid');
	const outcome = sudid?.event.data[0] as unknown as {isErr: boolean; asErr: DispatchError} | undefined;
	if (outcome?.isErr) throw describeDispatchError(api, outcome.asErr);
	return applied;
}
