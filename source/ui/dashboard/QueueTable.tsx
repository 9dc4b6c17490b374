// Upload queue as a compact table: one line per item, no row separators, the key column takes
// what width is left and keeps both ends of the key. Not @alcalzone/ink-table: it renders under
// Ink 6, but draws a rule between every row and never narrows a column; measured with 6 real
// activation keys it took 15 lines and 95 columns, which does not fit an 80x24 dashboard.
import React from 'react';
import {Box, Text} from 'ink';
import type {UploadItem, UploadState} from '../../miner/types.js';
import {color, type ThemeColors} from '../theme.js';
import {bytes, middle} from './format.js';

const stateColor: Record<UploadState, keyof ThemeColors> = {queued: 'muted', uploading: 'accent', failed: 'error', done: 'success'};

type Col = {title: string; width: number; right?: boolean; cell: (item: UploadItem) => string};

export function queueColumns(width: number): Col[] {
	const cols: Col[] = [
		{title: 'state', width: 9, cell: i => i.state},
		{title: 'kind', width: 15, cell: i => i.kind},
		{title: 'size', width: 8, right: true, cell: i => bytes(i.bytes)},
		{title: 'tries', width: 5, right: true, cell: i => String(i.attempts)},
	];
	if (width < 64) cols.splice(1, 1); // the key already names the kind (activations/, weights/…)
	const used = cols.reduce((n, c) => n + c.width + 1, 0);
	cols.push({title: 'key', width: Math.max(8, width - used), cell: i => i.key});
	return cols;
}

// A failed item's error matters more than its key: the key keeps its last 11 characters at least.
function keyCell(item: UploadItem, width: number): string {
	if (item.state !== 'failed' || !item.error) return middle(item.key, width);
	const error = middle(item.error, Math.max(5, width - 14));
	return `${middle(item.key, width - error.length - 3)} (${error})`;
}

const fit = (text: string, col: Col) => {
	const t = col.title === 'key' ? text : text.slice(0, col.width);
	return col.right ? t.padStart(col.width) : t.padEnd(col.width);
};

export function QueueTable({items, width, colors}: {items: UploadItem[]; width: number; colors: ThemeColors}) {
	const cols = queueColumns(width);
	return (
		<Box flexDirection="column">
			<Text color={color(colors.muted)} bold wrap="truncate">
				{cols.map(c => fit(c.title, c)).join(' ').trimEnd()}
			</Text>
			{items.length === 0 && <Text color={color(colors.muted)}>queue empty</Text>}
			{items.map(item => (
				<Text key={item.id} wrap="truncate">
					{cols.map((c, i) => (
						<Text key={c.title} color={color(c.title === 'state' ? colors[stateColor[item.state]] : colors.text)}>
							{(i > 0 ? ' ' : '') + fit(c.title === 'key' ? keyCell(item, c.width) : c.cell(item), c)}
						</Text>
					))}
				</Text>
			))}
		</Box>
	);
}
