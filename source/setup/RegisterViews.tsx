// The wizard's registration screens: the confirmation with the live window, the cap prompt, the automatic wait.
import React from 'react';
import {Box, Text} from 'ink';
import {Spinner} from '@inkjs/ui';
import {formatTao} from '../chain/client.js';
import {burnTrendText, closedReason, subnetLine, windowLine} from './window-text.js';
import type {ChainInfo, SetupState} from './state.js';
import {color, useTheme} from '../ui/theme.js';

/** Burn (latest read, with its trend), window counters and subnet size: three lines. */
export function WindowLines({state, chain}: {state: SetupState; chain: ChainInfo}) {
	const c = useTheme().colors;
	const w = state.window;
	const burn = w?.burn ?? chain.burn;
	const trend = burnTrendText(w?.burn ?? null, state.firstBurn);
	return (
		<>
			<Text>Burn cost <Text color={color(c.highlight)}>{formatTao(burn)}</Text> (recycled to register on subnet {state.info.netuid}){trend ? ` · ${trend}` : ''}</Text>
			{w && <Text wrap="truncate-end">Window    {windowLine(w)}</Text>}
			{w && <Text wrap="truncate-end">Subnet    {subnetLine(w)}</Text>}
		</>
	);
}

export function ConfirmRegister({state, chain, choice}: {state: SetupState; chain: ChainInfo; choice: React.ReactNode}) {
	const c = useTheme().colors;
	const burn = state.window?.burn ?? chain.burn;
	const closed = state.window ? closedReason(state.window) : chain.open ? null : 'registration disabled';
	return (
		<>
			<Text wrap="truncate-end">Network   {state.network} ({chain.url}){chain.devnet ? '  [local devnet]' : ''}</Text>
			<Text>Coldkey   {state.info.coldkeyAddress}</Text>
			<Text>Hotkey    {state.info.hotkeyAddress}</Text>
			<Text>Balance   <Text color={color(chain.balance >= burn ? c.success : c.error)}>{formatTao(chain.balance)}</Text></Text>
			<WindowLines state={state} chain={chain} />
			{closed && <Text color={color(c.warning)}>Registration on subnet {state.info.netuid} is closed right now: {closed}.</Text>}
			{chain.balance < burn && <Text color={color(c.error)}>The balance does not cover the burn: fund the coldkey first.</Text>}
			{chain.wish && <Text color={color(c.accent)} wrap="truncate-end">Saved wish ({chain.wish.createdAt.slice(0, 16)}): register when the burn is at most {formatTao(chain.wish.capRao)}; a resumes it.</Text>}
			<Box marginTop={1}>
				<Text>Register the hotkey now? </Text>
				{choice}
			</Box>
			<Text color={color(c.muted)}>y (or Enter) registers now · n skips · a waits, then registers when the burn is at or under a cap</Text>
		</>
	);
}

export function EnterCap({state, error, input}: {state: SetupState; error: string | null; input: React.ReactNode}) {
	const c = useTheme().colors;
	const burn = state.window?.burn ?? state.chain?.burn ?? null;
	return (
		<>
			<Text>Register automatically once the window is open and the burn is at or under your cap.</Text>
			<Text>Most TAO to burn{burn === null ? '' : ` (the burn is ${formatTao(burn)} now)`}:</Text>
			{error && <Text color={color(c.error)}>{error}</Text>}
			{input}
			<Text color={color(c.muted)}>Esc goes back.</Text>
		</>
	);
}

export function AutoWait({state, cap, wishFile}: {state: SetupState; cap: bigint; wishFile?: string}) {
	const c = useTheme().colors;
	const waiting = state.waiting;
	return (
		<>
			<Text bold>Registering automatically on subnet {state.info.netuid} once the window is open and the burn is at most {formatTao(cap)}.</Text>
			{waiting
				? <Text color={color(c.warning)}>Waiting: {waiting.why}{waiting.block === null ? '' : ` (block ${waiting.block})`}</Text>
				: <Spinner label="reading the window at the next block…" />}
			{state.chain && <WindowLines state={state} chain={state.chain} />}
			<Text color={color(c.muted)}>The coldkey stays unlocked in memory only. The wish is saved{wishFile ? ` in ${wishFile}` : ''} (never the password): the wizard or `iota-tui register --auto` resumes it.</Text>
			<Text>Press <Text color={color(c.accent)}>c</Text> to cancel the wish, <Text color={color(c.accent)}>q</Text> to quit and keep it.</Text>
		</>
	);
}
