// The doctor checks run before mining, one line per check (the fix under a failed one) and what happens next.
import React from 'react';
import {Text} from 'ink';
import {Spinner} from '@inkjs/ui';
import type {Check} from '../doctor/types.js';
import {doctorBlocks} from './state.js';
import {color, useTheme} from '../ui/theme.js';

/** Past this many lines, the passed checks share one line so the result fits a 24-row terminal. */
const MAX_ROWS = 16;

export function DoctorView({checks}: {checks: Check[] | null}) {
	const c = useTheme().colors;
	if (!checks) return <Spinner label="checking this machine, the network and the wallet before mining (iota-tui doctor)…" />;
	const failed = checks.filter(k => !k.ok);
	const blocked = doctorBlocks(checks);
	const width = Math.max(0, ...checks.map(k => k.name.length));
	const compact = checks.length + failed.length > MAX_ROWS;
	const shown = compact ? failed : checks;
	return (
		<>
			<Text bold>Before mining (iota-tui doctor):</Text>
			{compact && <Text color={color(c.success)} wrap="truncate-end">✓ {checks.filter(k => k.ok).map(k => k.name).join(', ')}</Text>}
			{shown.map(k => (
				<React.Fragment key={k.name}>
					<Text wrap="truncate-end"><Text color={color(k.ok ? c.success : k.blocking ? c.error : c.warning)}>{k.ok ? '✓' : '✗'}</Text> {k.name.padEnd(width)}  {k.detail}</Text>
					{!k.ok && k.fix && <Text color={color(c.muted)} wrap="truncate-end">  {' '.repeat(width)}  fix: {k.fix}</Text>}
				</React.Fragment>
			))}
			{blocked.length > 0
				? <Text color={color(c.error)}>✗ {blocked.length} blocking check(s) failed ({blocked.map(k => k.name).join(', ')}): mining cannot start. Press r to check again, q to quit.</Text>
				: failed.length
					? <Text>Ready to mine; {failed.length} warning(s) above. Press <Text color={color(c.accent)}>Enter</Text> to start mining, <Text color={color(c.accent)}>q</Text> to quit.</Text>
					: <Text color={color(c.success)}>All checks passed: starting the miner… (q quits)</Text>}
		</>
	);
}
