// The whole screen as a pure function of (state, theme, size, view): state in, pixels out.
// The stateful shell (App.tsx) feeds it snapshots; tests render it directly.
import React from 'react';
import {Box, Text} from 'ink';
import type {MinerState} from '../../miner/types.js';
import {color, ThemeContext, type Theme, type ThemeColors} from '../theme.js';
import {queueRows, showsP2P} from './format.js';
import {planLayout, PANEL_ROW} from './layout.js';
import {BatchPanel, inner, LayerPanel, LogLines, P2PLine, Panel, QueueTitle, ScorePanel, SparkPanel, SummaryLines} from './Panels.js';
import {QueueTable} from './QueueTable.js';
import {RegistrationPanel} from './RegistrationPanel.js';
import {FullLogView, HelpView, QuitView, StoppingView} from './Overlays.js';
import {StatusBar, statusLines} from './StatusBar.js';

export type DashboardView = 'main' | 'help' | 'log' | 'quit' | 'stopping';
export type DashboardProps = {state: MinerState; theme: Theme; width: number; height: number; view: DashboardView; now?: number; logScroll?: number};

export function Dashboard({state, theme, width, height, view, now = Date.now(), logScroll = 0}: DashboardProps) {
	const colors = theme.colors;
	const w = Math.max(20, width);
	const status = statusLines(state, now, w);
	const body = Math.max(1, height - status.length - 1);
	const p = {state, colors, width: w, height: body};
	return (
		<ThemeContext.Provider value={theme}>
			<Box flexDirection="column" width={w} height={height} overflow="hidden">
				<StatusBar lines={status} colors={colors} />
				{view === 'main' && <Main state={state} colors={colors} width={w} height={height} statusHeight={status.length} now={now} />}
				{view === 'help' && <HelpView {...p} />}
				{view === 'quit' && <QuitView {...p} />}
				{view === 'stopping' && <StoppingView {...p} />}
				{view === 'log' && <FullLogView {...p} scroll={logScroll} />}
				<Box flexGrow={1} />
				<Footer colors={colors} theme={theme.name} view={view} />
			</Box>
		</ThemeContext.Provider>
	);
}

function Footer({colors, theme, view}: {colors: ThemeColors; theme: string; view: DashboardView}) {
	const keys = view === 'quit' ? 'y quit · n stay' : view === 'stopping' ? 'stopping…' : `? help · l log · t theme (${theme}) · q quit`;
	return (
		<Text color={color(colors.muted)} wrap="truncate">
			{keys}
		</Text>
	);
}

type MainProps = {state: MinerState; colors: ThemeColors; width: number; height: number; statusHeight: number; now: number};

function Main({state, colors, width, height, statusHeight, now}: MainProps) {
	const p2p = showsP2P(state);
	const plan = planLayout(width, height, statusHeight, state.uploads.length, p2p ? 1 : 0);
	const {rows, hidden} = queueRows(state.uploads, plan.queueRows);
	const log = plan.logLines > 0 ? state.log.slice(-plan.logLines) : [];

	if (plan.tier === 'minimal') {
		return (
			<Box flexDirection="column">
				<SummaryLines state={state} colors={colors} width={width} now={now} count={plan.summaryLines} />
				{plan.queueRows > 0 && <QueueTable items={rows} width={width} colors={colors} />}
				{plan.logLines > 0 && (
					<>
						<Text bold color={color(colors.accent)}>
							Log
						</Text>
						<LogLines lines={log} colors={colors} width={width} />
					</>
				)}
			</Box>
		);
	}

	const third = Math.floor(width / 3);
	const sparkWidth = plan.sparklines ? Math.min(48, Math.floor(width * 0.3)) : 0;
	const queueWidth = width - sparkWidth;
	const extra = p2p ? 1 : 0;
	const middle = plan.sparklines ? Math.max(PANEL_ROW, 4 + extra + rows.length) : 4 + extra + Math.max(1, rows.length);
	return (
		<Box flexDirection="column">
			<Box>
				<LayerPanel state={state} colors={colors} width={third} />
				<BatchPanel state={state} colors={colors} width={third} />
				<ScorePanel state={state} colors={colors} width={width - 2 * third} now={now} />
			</Box>
			<Box>
				<Panel title="Upload queue" extra={<QueueTitle state={state} colors={colors} hidden={hidden} />} width={queueWidth} height={middle} colors={colors}>
					{p2p && <P2PLine state={state} colors={colors} width={inner(queueWidth)} />}
					<QueueTable items={rows} width={inner(queueWidth)} colors={colors} />
				</Panel>
				{plan.sparklines && <SparkPanel state={state} colors={colors} width={sparkWidth} height={middle} />}
			</Box>
			{plan.logLines > 0 && <BottomRow state={state} colors={colors} width={width} log={log} logLines={plan.logLines} sideWidth={sparkWidth} />}
		</Box>
	);
}

type BottomProps = {state: MinerState; colors: ThemeColors; width: number; log: MinerState['log']; logLines: number; sideWidth: number};

/** The recent log, with the registration window beside it (under the sparklines) when the chain was read and it fits. */
function BottomRow({state, colors, width, log, logLines, sideWidth}: BottomProps) {
	const height = logLines + 3;
	const side = state.registration !== null && sideWidth > 0 && height >= PANEL_ROW ? sideWidth : 0;
	return (
		<Box>
			<Panel title="Recent log" width={width - side} height={height} colors={colors}>
				<LogLines lines={log} colors={colors} width={inner(width - side)} />
			</Panel>
			{side > 0 && <RegistrationPanel state={state} colors={colors} width={side} height={height} />}
		</Box>
	);
}
