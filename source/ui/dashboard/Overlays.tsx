// Views that replace the panels under the status bar: help, full log, quit confirmation.
import React from 'react';
import {Box, Text} from 'ink';
import type {MinerState} from '../../miner/types.js';
import {color, type ThemeColors} from '../theme.js';
import {bytes, layerText} from './format.js';
import {LogLines} from './Panels.js';

type P = {state: MinerState; colors: ThemeColors; width: number; height: number};

const KEYS: [string, string][] = [
	['?', 'this help (any of ? Esc Enter closes it)'],
	['l', 'full log (↑ ↓ PgUp PgDn scroll, Esc or l back)'],
	['t', 'next theme: dark → light → none (NO_COLOR keeps none)'],
	['q', 'quit: says what stops and what is lost, then asks y/n'],
	['Ctrl+C', 'same as q; twice stops at once'],
];

const PANELS: [string, string][] = [
	['status bar', 'state · network · hotkey · uid · layer · epoch · phase · ♥ last orchestrator reply · what it waits for'],
	['batches', 'backward passes since the last merge toward BATCHES_BEFORE_MERGING; at the end the layer merges'],
	['queue', 'uploads (activations, weights, partitions) with size and tries; BACKPRESSURE: compute waits for uploads'],
	['score', 'orchestrator score; incentive/emission from the chain ("devnet-emulated" on the local devnet)'],
];

export function HelpView({colors, height}: P) {
	return (
		<Box flexDirection="column" borderStyle="round" borderColor={color(colors.accent)} paddingX={1} flexShrink={1} overflow="hidden">
			<Text bold color={color(colors.accent)}>
				Keys
			</Text>
			{KEYS.map(([k, v]) => (
				<Text key={k} wrap="truncate">
					<Text bold color={color(colors.highlight)}>
						{k.padEnd(7)}
					</Text>
					{v}
				</Text>
			))}
			<Text bold color={color(colors.accent)}>
				Panels
			</Text>
			{PANELS.map(([k, v]) => (
				<Text key={k} wrap="truncate">
					<Text bold>{k.padEnd(11)}</Text>
					{v}
				</Text>
			))}
		</Box>
	);
}

// What quitting costs right now, from the state (the runtime stops; the queue is on disk).
export function quitConsequences(state: MinerState): {stops: string[]; lost: string[]; kept: string[]} {
	const waiting = state.queue.pending + state.queue.uploading;
	const stops = [`training on ${layerText(state)}${state.phase ? ` (${state.phase})` : ''}`, 'uploads in flight and orchestrator heartbeats'];
	const lost = ['the current batch is dropped (its activations are not sent)'];
	if (state.status === 'uploading_weights' || state.status === 'merging' || state.status === 'syncing') {
		lost.push(`the ${state.status.replace('_', ' ')} step in progress stops; the miner rejoins at the next start`);
	}
	const kept = [
		waiting > 0
			? `${waiting} pending upload${waiting === 1 ? '' : 's'} (${bytes(state.queue.bytesPending)}) stay queued on disk and resume at the next start`
			: 'no uploads are pending',
	];
	return {stops, lost, kept};
}

export function QuitView({state, colors, height}: P) {
	const q = quitConsequences(state);
	return (
		<Box flexDirection="column" borderStyle="double" borderColor={color(colors.warning)} paddingX={1} flexShrink={1} overflow="hidden">
			<Text bold color={color(colors.warning)}>
				Quit the miner?
			</Text>
			{q.stops.map(s => (
				<Text key={s}>
					stops: {s}
				</Text>
			))}
			{q.lost.map(s => (
				<Text key={s} color={color(colors.error)}>
					lost: {s}
				</Text>
			))}
			{q.kept.map(s => (
				<Text key={s} color={color(colors.success)}>
					kept: {s}
				</Text>
			))}
			<Text bold>Quit now? (y/n)</Text>
		</Box>
	);
}

export function StoppingView({state, colors}: P) {
	return (
		<Box flexDirection="column" paddingX={1}>
			<Text bold color={color(colors.warning)}>
				Stopping the miner… ({state.status})
			</Text>
			<Text color={color(colors.muted)}>Pending uploads are kept on disk. Press Ctrl+C again to stop at once.</Text>
		</Box>
	);
}

// The last lines that fit, `scroll` lines up from the end.
export function FullLogView({state, colors, width, height, scroll}: P & {scroll: number}) {
	const rows = Math.max(1, height - 3);
	const end = Math.max(0, state.log.length - scroll);
	const lines = state.log.slice(Math.max(0, end - rows), end);
	return (
		<Box flexDirection="column" borderStyle="round" borderColor={color(colors.muted)} paddingX={1} height={height} overflow="hidden">
			<Text bold color={color(colors.accent)} wrap="truncate">
				Log <Text color={color(colors.muted)}>({state.log.length} lines{scroll > 0 ? `, ${scroll} up from the end` : ''} · ↑ ↓ PgUp PgDn · Esc back)</Text>
			</Text>
			{lines.length === 0 ? <Text color={color(colors.muted)}>no log lines yet</Text> : <LogLines lines={lines} colors={colors} width={width - 4} />}
		</Box>
	);
}
