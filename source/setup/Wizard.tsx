// First-run setup: wallet -> network -> registration window -> register now or under a cap -> done -> doctor -> mine.
// A pure view over the setup reducer; effects run through the injected services.
import React, {useEffect, useReducer} from 'react';
import {Box, Text, useApp, useInput} from 'ink';
import {Select, Spinner} from '@inkjs/ui';
import {formatTao} from '../chain/client.js';
import {initialSetup, nextEffect, setupReducer, type SetupEvent, type SetupInfo, type SetupState} from './state.js';
import type {SetupServices} from './services.js';
import {AutoWait, ConfirmRegister, EnterCap} from './RegisterViews.js';
import {DoctorView} from './DoctorView.js';
import {keyAction} from './keys.js';
import {color, useTheme} from '../ui/theme.js';
import {LineInput} from '../ui/inputs/LineInput.js';
import {keyOfChunk} from '../ui/inputs/line-edit.js';

export type WizardExit = 'mine' | 'quit';

/** How long the passed doctor checks stay on screen before mining starts. */
const PASSED_PAUSE_MS = 1500;
export type WizardProps = {info: SetupInfo; services: SetupServices; onExit?: (state: SetupState, next: WizardExit) => void; wishFile?: string};

export function Wizard({info, services, onExit, wishFile}: WizardProps) {
	const [state, dispatch] = useReducer(setupReducer, info, initialSetup);
	const {exit} = useApp();
	const theme = useTheme();
	const c = theme.colors;
	const effect = nextEffect(state);

	useEffect(() => {
		if (!effect) return;
		let live = true;
		const stop = new AbortController();
		const send = (event: SetupEvent) => live && dispatch(event);
		services.run(effect, {emit: send, signal: stop.signal}).then(send);
		return () => {
			live = false;
			stop.abort();
		};
		// The effect is keyed by the step object: one run per 'working' step (the automatic wait updates other fields).
	}, [state.step]);

	// The window is read again at each new block while the registration question (or the cap prompt) is on screen.
	const watching = (state.step.kind === 'confirm-register' || state.step.kind === 'enter-cap') && state.network ? state.network : null;
	useEffect(() => (watching ? services.watchWindow(watching, dispatch) : undefined), [watching]);

	const leave = (next: WizardExit) => {
		onExit?.(state, next);
		exit();
	};
	// All doctor checks passed: mining starts after a moment to read them (Enter at once, q quits).
	// Warnings wait for Enter, blocking failures for r or q.
	const checks = state.step.kind === 'doctor' ? state.step.checks : null;
	useEffect(() => {
		if (!checks || !checks.every(k => k.ok)) return;
		const timer = setTimeout(() => leave('mine'), PASSED_PAUSE_MS);
		return () => clearTimeout(timer);
	}, [checks]);

	useInput((chunk, key) => {
		// "q\r" from a paste or tmux is "q" then Enter: the letter decides.
		const {key: input, enter} = keyOfChunk(chunk);
		if (enter && input === '') key = {...key, return: true};
		const action = keyAction(state.step, input, key.return, key.escape);
		if (action && 'leave' in action) leave(action.leave);
		else if (action) dispatch(action.event);
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
					<ConfirmRegister
						state={state}
						chain={step.chain}
						choice={<RegisterChoice onChoose={type => dispatch({type})} />}
					/>
				)}
				{step.kind === 'enter-cap' && (
					<EnterCap state={state} error={step.error} input={<LineInput key={step.error ?? 'cap'} onSubmit={value => dispatch({type: 'cap', value})} />} />
				)}
				{step.kind === 'auto-register' && <AutoWait state={state} cap={step.cap} wishFile={wishFile} />}
				{step.kind === 'cancel-auto' && <Spinner label="cancelling: removing the saved wish…" />}
				{step.kind === 'doctor' && <DoctorView checks={step.checks} />}
				{step.kind === 'done' && (
					<>
						<Text color={color(c.success)} bold>✓ Hotkey {step.alreadyRegistered ? 'is already registered' : 'registered'} on subnet {info.netuid}: uid {step.uid}{step.burnPaid ? ` (burned ${formatTao(step.burnPaid)})` : ''}</Text>
						<Text>Network {step.network} · hotkey {state.info.hotkeyAddress}</Text>
						<Text>Press <Text color={color(c.accent)}>Enter</Text> to check this machine and start mining (the live dashboard), <Text color={color(c.accent)}>q</Text> to quit.</Text>
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

/** y or Enter: register now; n: skip; a: wait and register under a cap. */
function RegisterChoice({onChoose}: {onChoose: (choice: 'register-confirmed' | 'register-declined' | 'register-auto') => void}) {
	useInput((input, key) => {
		const {key: answer, enter} = keyOfChunk(input);
		const first = answer.toLowerCase()[0];
		if (first === 'y' || ((key.return || enter) && answer === '')) onChoose('register-confirmed');
		else if (first === 'n') onChoose('register-declined');
		else if (first === 'a') onChoose('register-auto');
	});
	return <Text dimColor>Y/n/a</Text>;
}

function EnterKey({onEnter}: {onEnter: () => void}) {
	useInput((_, key) => {
		if (key.return) onEnter();
	});
	return null;
}
