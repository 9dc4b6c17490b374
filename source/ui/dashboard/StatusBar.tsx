// The always-visible answer to "is it working, what is it waiting for".
import React from 'react';
import {Box, Text} from 'ink';
import type {MinerState, MinerStatus} from '../../miner/types.js';
import {color, type ThemeColors} from '../theme.js';
import {age, layerText, middle, protocolText, shortHotkey} from './format.js';
import {packLines} from './layout.js';

export type Piece = {text: string; color?: keyof ThemeColors; bold?: boolean};

const statusColor: Record<MinerStatus, keyof ThemeColors> = {
	starting: 'accent',
	registering: 'accent',
	training: 'success',
	uploading_weights: 'highlight',
	merging: 'highlight',
	syncing: 'highlight',
	stopping: 'warning',
	stopped: 'muted',
	error: 'error',
	deregistered: 'error',
};

export function heartbeatColor(ms: number | null): keyof ThemeColors {
	if (ms === null) return 'muted';
	return ms < 30_000 ? 'success' : ms < 120_000 ? 'warning' : 'error';
}

export function statusPieces(state: MinerState, now: number, width: number): Piece[] {
	const beat = state.lastHeartbeat === null ? null : now - state.lastHeartbeat;
	const pieces: Piece[] = [
		{text: `● ${state.status}`, color: statusColor[state.status], bold: true},
		{text: state.network ?? 'no network', color: 'accent'},
		...(protocolText(state) === null ? [] : [{text: protocolText(state)!, color: 'accent' as const}]),
		{text: `hotkey ${shortHotkey(state.hotkey)}`},
		{text: `uid ${state.uid ?? '-'}`},
		{text: layerText(state), bold: true},
		{text: `epoch ${state.epoch}`},
		{text: state.phase ?? 'no phase', color: 'highlight'},
		{text: `♥ ${beat === null ? 'never' : `${age(beat)} ago`}`, color: heartbeatColor(beat)},
	];
	if (state.deregistered) pieces.push({text: `✖ uid ${state.deregistered.uid} lost ${age(now - state.deregistered.at)} ago: mining paused, uploads kept`, color: 'error', bold: true});
	if (state.queue.full) pieces.push({text: '⏸ upload backpressure', color: 'warning', bold: true});
	for (const [service, link] of Object.entries(state.links)) {
		if (!link.ok) pieces.push({text: `✖ ${service} unreachable for ${age(now - link.since)}: ${link.detail}`, color: 'error', bold: true});
	}
	if (state.status === 'error' && state.lastError) pieces.push({text: `error: ${state.lastError}`, color: 'error'});
	else if (state.waitingFor) pieces.push({text: `waiting for ${state.waitingFor}`, color: 'warning'});
	else if (state.status !== 'stopped') pieces.push({text: 'working', color: 'success'});
	return pieces.map(p => ({...p, text: middle(p.text, width)}));
}

export const statusLines = (state: MinerState, now: number, width: number) => packLines(statusPieces(state, now, width), width);

export function StatusBar({lines, colors}: {lines: Piece[][]; colors: ThemeColors}) {
	return (
		<Box flexDirection="column">
			{lines.map((line, i) => (
				<Text key={i} wrap="truncate">
					{line.map((p, j) => (
						<Text key={j}>
							{j > 0 ? '  ' : ''}
							<Text color={color(p.color ? colors[p.color] : colors.text)} bold={p.bold}>
								{p.text}
							</Text>
						</Text>
					))}
				</Text>
			))}
		</Box>
	);
}
