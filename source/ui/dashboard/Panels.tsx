// The dashboard's panels. Each one renders a slice of MinerState; none keeps state or does I/O.
import React, {type ReactNode} from 'react';
import {Box, Text} from 'ink';
import type {LogLine, MinerState} from '../../miner/types.js';
import {color, type ThemeColors} from '../theme.js';
import {age, bytes, clock, compact, last, layerText, mergeProgress, mergeProgressText, middle, num, p2pSummary, queueSummary, showsP2P} from './format.js';
import {progressBar, sparkline} from './sparkline.js';

type P = {state: MinerState; colors: ThemeColors; width: number};

export const inner = (width: number) => Math.max(1, width - 4); // 2 border columns + 1 padding each side

export function Panel({title, extra, width, height, colors, children}: {title: string; extra?: ReactNode; width: number; height: number; colors: ThemeColors; children: ReactNode}) {
	return (
		<Box flexDirection="column" borderStyle="round" borderColor={color(colors.muted)} paddingX={1} width={width} height={height} overflow="hidden">
			<Text wrap="truncate">
				<Text bold color={color(colors.accent)}>
					{title}
				</Text>
				{extra}
			</Text>
			{children}
		</Box>
	);
}

const Line = ({children, c}: {children: ReactNode; c?: string}) => (
	<Text wrap="truncate" color={color(c ?? '')}>
		{children}
	</Text>
);

export function LayerPanel({state, colors, width}: P) {
	return (
		<Panel title={layerText(state).replace(/^l/, 'L')} width={width} height={7} colors={colors}>
			<Line>phase {state.phase ?? '-'}</Line>
			<Line>backend {state.backend?.name ?? '-'}</Line>
			<Line c={colors.muted}>{state.backend?.detail ?? 'device not reported yet'}</Line>
			<Line>
				lr {state.learningRate === null ? '-' : state.learningRate.toExponential(2)} · orch {state.orchestratorVersion ?? '-'}
			</Line>
		</Panel>
	);
}

export function BatchPanel({state, colors, width}: P) {
	const {done, total, pending} = mergeProgress(state);
	const tps = last(state.tokensPerSec);
	return (
		<Panel title="Batches toward merge" width={width} height={7} colors={colors}>
			<Line c={colors.success}>{progressBar(done, total, inner(width))}</Line>
			<Line c={pending ? colors.warning : undefined}>{mergeProgressText(state)}</Line>
			<Line>
				fwd {state.forwards} · bwd {state.backwards} · published {state.published}
			</Line>
			<Line>
				epoch {state.epoch} · {compact(tps)} tok/s
			</Line>
		</Panel>
	);
}

export function scoreTitleExtra(state: MinerState, colors: ThemeColors) {
	return state.score?.emulated ? <Text color={color(colors.warning)}> devnet-emulated</Text> : null;
}

export function ScorePanel({state, colors, width, now}: P & {now: number}) {
	const s = state.score;
	return (
		<Panel title="Score" extra={scoreTitleExtra(state, colors)} width={width} height={7} colors={colors}>
			{s === null ? (
				<Line c={colors.muted}>no score yet (the validator sets weights each tempo)</Line>
			) : (
				<>
					<Line>
						orchestrator <Text bold color={color(colors.highlight)}>{num(s.score)}</Text>
					</Line>
					<Line>incentive {num(s.incentive, 6)}{s.emulated ? ' (devnet-emulated)' : ' (on chain)'}</Line>
					<Line>emission {s.emission ?? '-'}</Line>
					<Line c={colors.muted}>
						updated {clock(s.at)} ({age(now - s.at)} ago)
					</Line>
				</>
			)}
		</Panel>
	);
}

export function QueueTitle({state, colors, hidden}: {state: MinerState; colors: ThemeColors; hidden: number}) {
	return (
		<>
			<Text color={color(colors.text)}> {queueSummary(state.queue)}</Text>
			{hidden > 0 && <Text color={color(colors.muted)}> (+{hidden} more)</Text>}
			{state.queue.full && (
				<Text bold color={color(colors.warning)}>
					{' '}
					⏸ BACKPRESSURE: compute waits for uploads
				</Text>
			)}
		</>
	);
}

export function SparkPanel({state, colors, width, height}: P & {height: number}) {
	const w = inner(width);
	const loss = last(state.losses);
	const tps = last(state.tokensPerSec);
	return (
		<Panel title="Loss and throughput" width={width} height={height} colors={colors}>
			<Line>
				loss <Text bold>{num(loss, 4)}</Text>
				{state.losses.length > 0 ? ` (min ${num(Math.min(...state.losses), 4)})` : ''}
			</Line>
			<Line c={colors.highlight}>{sparkline(state.losses, w) || ' '}</Line>
			<Line>
				tokens/s <Text bold>{compact(tps)}</Text>
			</Line>
			<Line c={colors.accent}>{sparkline(state.tokensPerSec, w) || ' '}</Line>
		</Panel>
	);
}

/** The current protocol's peer-to-peer activation transfers, one line; a hash failure is a warning. */
export function P2PLine({state, colors}: P) {
	const c = state.p2p.hashFailures > 0 ? colors.warning : colors.text;
	return <Line c={c}>{p2pSummary(state.p2p)}</Line>;
}

const levelColor = (l: LogLine['level'], colors: ThemeColors) => (l === 'error' ? colors.error : l === 'warn' ? colors.warning : colors.text);

export function LogLines({lines, colors, width}: {lines: LogLine[]; colors: ThemeColors; width: number}) {
	return (
		<>
			{lines.map((l, i) => (
				<Text key={i} wrap="truncate">
					<Text color={color(colors.muted)}>{clock(l.at)} </Text>
					<Text color={color(levelColor(l.level, colors))}>{middle(`${l.level === 'info' ? '' : `${l.level} `}${l.text}`, Math.max(1, width - 10))}</Text>
				</Text>
			))}
		</>
	);
}

// One-line summaries for the smallest layout (no borders).
export function SummaryLines({state, colors, width, now, count}: P & {now: number; count: number}) {
	const {done, total, pending} = mergeProgress(state);
	const s = state.score;
	const bar = Math.max(4, Math.min(30, width - 24));
	const lines = [
		<Line key="b">
			<Text bold>Batches </Text>
			<Text color={color(colors.success)}>{progressBar(done, total, bar)}</Text> {pending ? `${done}/${total}, merge pending` : `${done}/${total ?? '?'} to merge`}
		</Line>,
		<Line key="q">
			<Text bold>Queue </Text>
			{state.queue.pending} pending · {state.queue.uploading} up · {state.queue.failed} failed · {bytes(state.queue.bytesPending)}
			{state.queue.full && <Text color={color(colors.warning)} bold> ⏸ BACKPRESSURE</Text>}
		</Line>,
		<Line key="s">
			<Text bold>Score </Text>
			{s === null ? 'none yet' : `${num(s.score)} · incentive ${num(s.incentive, 6)} · ${age(now - s.at)} ago`}
			{s?.emulated && <Text color={color(colors.warning)}> devnet-emulated</Text>}
		</Line>,
		<Line key="l">
			<Text bold>{layerText(state).replace(/^l/, 'L')}</Text> · {state.phase ?? '-'} · {state.backend?.name ?? '-'} {state.backend?.detail ?? ''}
		</Line>,
	];
	if (showsP2P(state)) lines.push(<P2PLine key="p" state={state} colors={colors} width={width} />);
	return <>{lines.slice(0, count)}</>;
}
