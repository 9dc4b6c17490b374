// The registration window while mining: burn and trend, counters, reset, subnet size; a lost uid in red.
import React from 'react';
import {Text} from 'ink';
import type {MinerState} from '../../miner/types.js';
import {color, type ThemeColors} from '../theme.js';
import {Panel} from './Panels.js';
import {registrationLines} from './registration.js';

type P = {state: MinerState; colors: ThemeColors; width: number; height?: number};

export function RegistrationPanel({state, colors, width, height = 7}: P) {
	const r = state.registration;
	const lost = state.deregistered;
	const extra = r ? <Text color={color(r.open ? colors.success : colors.warning)}>{r.open ? ' open' : ' closed'}</Text> : null;
	const lines = r ? registrationLines(r) : ['not read yet (no chain, or the first block is coming)'];
	if (lost) lines.splice(0, 1, `✖ uid ${lost.uid} lost: paused`);
	if (r?.waitingFor) lines.splice(lines.length - 1, 1, `waiting: ${r.waitingFor}`);
	return (
		<Panel title="Registration" extra={extra} width={width} height={height} colors={colors}>
			{lines.map((l, i) => (
				<Text key={i} wrap="truncate" color={color(lost && i === 0 ? colors.error : r?.waitingFor && i === lines.length - 1 ? colors.warning : r ? colors.text : colors.muted)}>
					{l}
				</Text>
			))}
		</Panel>
	);
}
