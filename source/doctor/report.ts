// How doctor prints its checks: an aligned text table, or the JSON outside checks read.
import type {Check} from './types.js';

/** Exactly {"checks": [{name, ok, detail, fix}]}: outside checks read this shape. */
export const doctorJson = (checks: Check[]) => ({checks: checks.map(({name, ok, detail, fix}) => ({name, ok, detail, fix: ok ? null : fix}))});

export const blockingFailures = (checks: Check[]) => checks.filter(c => !c.ok && c.blocking);

export function doctorText(checks: Check[]): string {
	const width = Math.max(...checks.map(c => c.name.length));
	const lines = checks.flatMap(c => {
		const row = `${c.ok ? '✔' : '✖'} ${c.name.padEnd(width)}  ${c.detail}`;
		return c.ok || !c.fix ? [row] : [row, `  ${' '.repeat(width)}  fix: ${c.fix}`];
	});
	const blocked = blockingFailures(checks);
	const failed = checks.filter(c => !c.ok).length;
	const summary = blocked.length
		? `${blocked.length} blocking check(s) failed (${blocked.map(c => c.name).join(', ')}): mining cannot start until they pass`
		: failed ? `ready to mine; ${failed} warning(s) above` : 'all checks passed: ready to mine';
	return `${lines.join('\n')}\n\n${summary}\n`;
}
