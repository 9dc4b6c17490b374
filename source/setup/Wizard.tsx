// First-run setup: wallet -> network -> balance and burn -> confirm -> register -> done.
// A pure view over the setup reducer; effects run through the injected services.
import React, {useEffect, useReducer} from 'react';
import {Box, Text, useApp, useInput} from 'ink';
import {Select, Spinner} from '@inkjs/ui';
import {formatTao} from '../chain/client.js';
import {initialSetup, nextEffect, setupReducer, type SetupInfo, type SetupState} from './state.js';
import type {SetupServices} from './services.js';
import {color, useTheme} from '../ui/theme.js';
import {LineInput} from '../ui/inputs/LineInput.js';
import {YesNo} from '../ui/inputs/YesNo.js';
import {keyOfChunk} from '../ui/inputs/line-edit.js';

export type WizardExit = 'mine' | 'quit';
export type WizardProps = {info: SetupInfo; services: SetupServices; onExit?: (state: SetupState, next: WizardExit) => void};

export function Wizard({info, services, onExit}: WizardProps) {
	const [state, dispatch] = useReducer(setupReducer, info, initialSetup);
	const {exit} = useApp();
	const theme = useTheme();
	const c = theme.colors;
	const effect = nextEffect(state);

	useEffect(() => {
		if (!effect) return;
		let live = true;
		services.run(effect).then(event => live && dispatch(event));
		return () => {
			live = false;
		};
		// The effect is keyed by the step object: one run per 'working' step.
	}, [state.step]);

	const finished = state.step.kind === 'done' || (state.step.kind === 'failed' && !state.step.retry);
	useInput((chunk, key) => {
		// "q\r" from a paste or tmux is "q" then Enter: the letter decides.
		const {key: input, enter} = keyOfChunk(chunk);
		if (enter && input === '') key = {...key, return: true};
		if (finished && (key.return || input === 'q')) {
			onExit?.(state, state.step.kind === 'done' && key.return ? 'mine' : 'quit');
			exit();
		}
		if (state.step.kind === 'failed' && state.step.retry && (input === 'r' || key.return)) dispatch({type: 'retry'});
		if (state.step.kind === 'failed' && input === 'q') {
			onExit?.(state, 'quit');
			exit();
		}
	});

	const step = state.step;
	return (
		<Box flexDirection="column" paddingX={1}>
			<Text bold color={color(c.accent)}>iota-tui setup · wallet "{info.wallet}" / hotkey "{info.hotkey}" · subnet {info.netuid}</Text>
			<Box marginTop={1} flexDirection="column">
				{step.kind === 'choose-wallet' && (
					<>
						<Text>No wallet found in {info.walletPath}/{info.wallet}. What would you like to do?</Text>
						<Select
							options={[{label: 'Create a new wallet', value: 'create'}, {label: 'Import a wallet from its mnemonic', value: 'import'}]}
							onChange={v => dispatch(v === 'create' ? {type: 'choose-create', mnemonic: services.newMnemonic()} : {type: 'choose-import'})}
						/>
					</>
				)}
				{step.kind === 'show-mnemonic' && (
					<>
						<Text color={color(c.warning)} bold>Your coldkey mnemonic. Write it down now: it is shown only once and is the only way to recover the wallet.</Text>
						<Box borderStyle="round" paddingX={1} marginY={1} flexWrap="wrap">
							{step.mnemonic.split(' ').map((w, i) => (
								<Text key={i}>{`${String(i + 1).padStart(2)}. ${w.padEnd(10)} `}</Text>
							))}
						</Box>
						<Text color={color(c.muted)}>Press Enter when you have written it down.</Text>
						<EnterKey onEnter={() => dispatch({type: 'mnemonic-noted'})} />
					</>
				)}
				{step.kind === 'confirm-mnemonic' && (
					<>
						<Text>To confirm, type word #{step.wordIndex + 1} of your mnemonic:</Text>
						{step.wrong && <Text color={color(c.error)}>That is not word #{step.wordIndex + 1}. Check what you wrote down.</Text>}
						<LineInput key={`w${String(step.wrong)}`} onSubmit={word => dispatch({type: 'mnemonic-word', word})} />
					</>
				)}
				{step.kind === 'enter-mnemonic' && (
					<>
						<Text>Type or paste your coldkey mnemonic (12-24 words):</Text>
						{step.error && <Text color={color(c.error)}>{step.error}</Text>}
						<LineInput mask="*" joinLines key={step.error ?? 'm'} onSubmit={m => dispatch({type: 'mnemonic-entered', mnemonic: m.trim().split(/\s+/).join(' '), valid: services.validMnemonic(m)})} />
					</>
				)}
				{step.kind === 'password' && (
					<>
						<Text>{step.purpose === 'new' ? 'Choose a password to encrypt the coldkey (at least 6 characters):' : 'Coldkey password (to sign the registration):'}</Text>
						{step.error && <Text color={color(c.error)}>{step.error}</Text>}
						<LineInput mask="*" key={`${step.purpose}${step.error ?? ''}`} onSubmit={value => dispatch({type: 'password', value})} />
					</>
				)}
				{step.kind === 'password-confirm' && (
					<>
						<Text>Type the password again:</Text>
						<LineInput mask="*" onSubmit={value => dispatch({type: 'password-confirm', value})} />
					</>
				)}
				{step.kind === 'working' && <Spinner label={`${step.what}…`} />}
				{step.kind === 'choose-network' && (
					<>
						<Text>Which network?</Text>
						<Select
							options={[
								{label: 'devnet  (local: chain, store, orchestrator on this machine; started if needed)', value: 'devnet'},
								{label: 'test    (Bittensor testnet)', value: 'test'},
								{label: 'finney  (Bittensor mainnet: real TAO)', value: 'finney'},
								{label: 'custom URL', value: 'custom'},
							]}
							onChange={v => dispatch({type: 'network', choice: v as 'devnet'})}
						/>
					</>
				)}
				{step.kind === 'enter-url' && (
					<>
						<Text>Chain endpoint (ws:// or wss://):</Text>
						{step.error && <Text color={color(c.error)}>{step.error}</Text>}
						<LineInput key={step.error ?? 'u'} onSubmit={value => dispatch({type: 'url', value: value.trim()})} />
					</>
				)}
				{step.kind === 'confirm-register' && (
					<>
						<Text>Network   {state.network} ({step.chain.url}){step.chain.devnet ? '  [local devnet]' : ''}</Text>
						<Text>Coldkey   {state.info.coldkeyAddress}</Text>
						<Text>Hotkey    {state.info.hotkeyAddress}</Text>
						<Text>Balance   <Text color={color(step.chain.balance >= step.chain.burn ? c.success : c.error)}>{formatTao(step.chain.balance)}</Text></Text>
						<Text>Burn cost <Text color={color(c.highlight)}>{formatTao(step.chain.burn)}</Text> (recycled to register on subnet {info.netuid})</Text>
						{!step.chain.open && <Text color={color(c.warning)}>Registration on subnet {info.netuid} is closed right now.</Text>}
						{step.chain.balance < step.chain.burn && <Text color={color(c.error)}>The balance does not cover the burn: fund the coldkey first.</Text>}
						<Box marginTop={1}>
							<Text>Register the hotkey now? </Text>
							<YesNo onConfirm={() => dispatch({type: 'register-confirmed'})} onCancel={() => dispatch({type: 'register-declined'})} />
						</Box>
					</>
				)}
				{step.kind === 'done' && (
					<>
						<Text color={color(c.success)} bold>✓ Hotkey {step.alreadyRegistered ? 'is already registered' : 'registered'} on subnet {info.netuid}: uid {step.uid}</Text>
						<Text>Network {step.network} · hotkey {state.info.hotkeyAddress}</Text>
						<Text>Press <Text color={color(c.accent)}>Enter</Text> to start mining (the live dashboard), <Text color={color(c.accent)}>q</Text> to quit.</Text>
						<Text color={color(c.muted)}>Later: `iota-tui` again, or `iota-tui mine`; `iota-tui status --network {step.network}` shows your neuron.</Text>
					</>
				)}
				{step.kind === 'failed' && (
					<>
						<Text color={color(c.error)}>✗ {step.message}</Text>
						<Text color={color(c.muted)}>{step.retry ? 'Press r (or Enter) to retry, q to quit.' : 'Press Enter to exit.'}</Text>
					</>
				)}
			</Box>
		</Box>
	);
}

function EnterKey({onEnter}: {onEnter: () => void}) {
	useInput((_, key) => {
		if (key.return) onEnter();
	});
	return null;
}
