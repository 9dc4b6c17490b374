// Text for the registration panel: the burn in TAO with its trend over the last minute, the window's counters.
import type {RegistrationInfo} from '../../miner/types.js';

/** rao (a decimal string) as τ with up to 9 decimals, trailing zeros dropped. */
export function taoText(rao: string | null): string {
	if (rao === null) return '?';
	const v = BigInt(rao);
	const frac = (v % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
	return `τ${v / 1_000_000_000n}${frac ? `.${frac}` : ''}`;
}

export function burnTrendText(r: RegistrationInfo): string {
	if (r.burnRao === null || r.burnBeforeRao === null) return '';
	const now = BigInt(r.burnRao), before = BigInt(r.burnBeforeRao);
	return now > before ? ` ↑ from ${taoText(r.burnBeforeRao)}` : now < before ? ` ↓ from ${taoText(r.burnBeforeRao)}` : ' steady';
}

/** Four short lines (a quarter of a 100-column screen): burn and trend, registrations this interval vs target and
 * this block vs the maximum, the reset with the --auto cap (or the block), the subnet's size and immunity. */
export function registrationLines(r: RegistrationInfo): string[] {
	const interval = r.thisInterval === null ? '?' : `${r.thisInterval}/${r.targetPerInterval ?? '?'}`;
	const block = r.thisBlock === null ? '' : ` · block ${r.thisBlock}/${r.maxPerBlock ?? '?'}`;
	const full = r.subnetN !== null && r.maxUids !== null && r.subnetN >= r.maxUids ? ' full' : '';
	return [
		`burn ${taoText(r.burnRao)}${burnTrendText(r)}`,
		`regs ${interval}${block}`,
		`reset in ${r.blocksUntilReset ?? '?'} blk · ${r.capRao === null ? `#${r.block}` : `cap ${taoText(r.capRao)}`}`,
		`uids ${r.subnetN ?? '?'}/${r.maxUids ?? '?'}${full} · immune ${r.immunityPeriod ?? '?'}`,
	];
}
