// `iota-tui register --watch`: one line per new block with the subnet's registration window, until Ctrl+C.
import type {Command} from 'commander';
import {printJson} from './common.js';
import {target, type NetOptions} from './chain-actions.js';
import {UserError} from '../errors.js';
import {connectChain, formatTao} from '../chain/client.js';
import {burnTrend, followHeads, windowOpen, type BurnTrend, type RegistrationWindow} from '../chain/registration-window.js';

/** How many recent burn readings the trend looks over. */
const TREND_SAMPLES = 5;

const orDash = (v: unknown) => (v === null || v === undefined ? '-' : String(v));

export function formatWindowLine(w: RegistrationWindow, trend: BurnTrend): string {
	const {open, reason} = windowOpen(w);
	return [
		`block ${w.block}`,
		`burn ${w.burn === null ? '-' : formatTao(w.burn)} (${trend})`,
		`interval ${orDash(w.registrationsThisInterval)}/${orDash(w.targetPerInterval)} target`,
		`block regs ${orDash(w.registrationsThisBlock)}/${orDash(w.maxPerBlock)}`,
		`reset in ${orDash(w.blocksUntilReset)} blocks`,
		open ? 'open' : `closed: ${reason}`,
		`subnet ${orDash(w.subnetN)}/${orDash(w.maxUids)}${w.full ? ' full' : ''}`,
		`immunity ${orDash(w.immunityPeriod)} blocks`,
	].join('  ');
}

export function windowJson(w: RegistrationWindow, trend: BurnTrend) {
	const {open, reason} = windowOpen(w);
	return {
		block: w.block, netuid: w.netuid, burn_rao: w.burn, burn_trend: trend, min_burn_rao: w.minBurn, max_burn_rao: w.maxBurn,
		registrations_this_interval: w.registrationsThisInterval, target_per_interval: w.targetPerInterval,
		registrations_this_block: w.registrationsThisBlock, max_per_block: w.maxPerBlock,
		adjustment_interval: w.adjustmentInterval, last_adjustment_block: w.lastAdjustmentBlock, blocks_until_reset: w.blocksUntilReset,
		registration_allowed: w.registrationAllowed, open, reason,
		subnet_n: w.subnetN, max_uids: w.maxUids, full: w.full, immunity_period: w.immunityPeriod,
	};
}

/** Resolves on the first SIGINT or SIGTERM: the watch's normal end. */
export function untilStopped(): Promise<void> {
	return new Promise(resolve => {
		process.once('SIGINT', resolve);
		process.once('SIGTERM', resolve);
	});
}

export async function watchRegistration(cmd: Command, opts: NetOptions & {json?: boolean}) {
	const {network, netuid} = target(cmd, opts);
	const stopped = untilStopped(); // listen first: Ctrl+C while connecting still ends cleanly
	const chain = await connectChain(network.url);
	try {
		if (!(await chain.subnetExists(netuid))) throw new UserError(`subnet ${netuid} does not exist on ${network.url}`);
		const burns: bigint[] = [];
		const print = (w: RegistrationWindow) => {
			if (w.burn !== null) burns.push(w.burn);
			if (burns.length > TREND_SAMPLES) burns.shift();
			const trend = burnTrend(burns);
			if (opts.json) printJson(windowJson(w, trend));
			else process.stdout.write(`${formatWindowLine(w, trend)}\n`);
		};
		const unsubscribe = await followHeads(chain, netuid, print, error => process.stderr.write(`read failed: ${error}\n`));
		await stopped;
		unsubscribe();
	} finally {
		await chain.close();
	}
}
