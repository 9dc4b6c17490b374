// `--reg-target`, `--max-uids`, ... on `iota-tui chain` and `devnet`: subnet 9's registration game.
import type {Command} from 'commander';
import {intArg, numberArg} from './options.js';
import type {RegistrationGame} from '../chain/devchain-registration.js';

const u16 = intArg(0, 65535);
const taoArg = numberArg('non-negative');
const rao = (tao: number | undefined) => (tao === undefined ? undefined : BigInt(Math.round(tao * 1e9)));

export type RegistrationFlags = {regTarget?: number; regInterval?: number; maxPerBlock?: number; maxUids?: number; immunity?: number; minBurn?: number; maxBurn?: number};

export function addRegistrationFlags(cmd: Command): Command {
	return cmd
		.option('--reg-target <n>', 'subnet 9 TargetRegistrationsPerInterval: the burn rises above it, falls below it; 3x refuses (default 64)', u16)
		.option('--reg-interval <blocks>', 'subnet 9 AdjustmentInterval: blocks between burn adjustments (default 360)', u16)
		.option('--max-per-block <n>', 'subnet 9 MaxRegistrationsPerBlock (default 64)', u16)
		.option('--max-uids <n>', 'subnet 9 MaxAllowedUids: once full, a registration prunes the lowest-scored non-immune uid (default 256)', u16)
		.option('--immunity <blocks>', 'subnet 9 ImmunityPeriod: blocks a new uid cannot be pruned (default 5000)', u16)
		.option('--min-burn <tao>', 'subnet 9 MinBurn in TAO (default 0.001)', taoArg)
		.option('--max-burn <tao>', 'subnet 9 MaxBurn in TAO (default 100)', taoArg);
}

/** The flags as the chain's options; undefined when none is given, so the devnet keeps its defaults. */
export function registrationFrom(f: RegistrationFlags): RegistrationGame | undefined {
	const game: RegistrationGame = {
		targetPerInterval: f.regTarget, adjustmentInterval: f.regInterval, maxPerBlock: f.maxPerBlock, maxUids: f.maxUids,
		immunityPeriod: f.immunity, minBurn: rao(f.minBurn), maxBurn: rao(f.maxBurn),
	};
	return Object.values(game).some(v => v !== undefined) ? game : undefined;
}
