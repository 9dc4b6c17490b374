// The registration window as the wizard's short lines: counters vs limits, burn trend, reset, subnet size, immunity.
import {formatTao} from '../chain/client.js';
import {windowOpen, type RegistrationWindow} from '../chain/registration-window.js';

const dash = (v: number | null) => (v === null ? '-' : String(v));

/** "interval 1/2 target (refused at 6) · this block 0/1 max · resets in 87 blocks" */
export function windowLine(w: RegistrationWindow): string {
	const refusedAt = w.targetPerInterval === null ? '' : ` (refused at ${w.targetPerInterval * 3})`;
	const reset = w.blocksUntilReset === null ? 'reset unknown' : `resets in ${w.blocksUntilReset} blocks`;
	return `interval ${dash(w.registrationsThisInterval)}/${dash(w.targetPerInterval)} target${refusedAt} · this block ${dash(w.registrationsThisBlock)}/${dash(w.maxPerBlock)} max · ${reset}`;
}

/** The burn now against the first one the wizard read: "flat since block 120" or "up from τ0.001 at block 120". */
export function burnTrendText(now: bigint | null, first: {burn: bigint; block: number} | null): string {
	if (now === null || first === null) return '';
	if (now === first.burn) return `flat since block ${first.block}`;
	return `${now > first.burn ? 'up' : 'down'} from ${formatTao(first.burn)} at block ${first.block}`;
}

/** "3/256 uids · immunity 5000 blocks", with what a full subnet means. */
export function subnetLine(w: RegistrationWindow): string {
	const full = w.full ? ' full: a new uid replaces the lowest-scored non-immune one' : ' uids';
	return `${dash(w.subnetN)}/${dash(w.maxUids)}${full} · immunity ${dash(w.immunityPeriod)} blocks`;
}

/** Why a registration would be refused now, or null when the window is open. */
export const closedReason = (w: RegistrationWindow) => windowOpen(w).reason;
