// Shows a fresh mnemonic once, waits for Enter, then clears it from the screen.
import React from 'react';
import {render, Box, Text, useInput, useApp} from 'ink';

function Card({mnemonic, label}: {mnemonic: string; label: string}) {
	const {exit} = useApp();
	useInput((_, key) => {
		if (key.return) exit();
	});
	return (
		<Box flexDirection="column">
			<Text bold color="yellow">{label}: write it down now. It is shown only once and is the only way to recover this key.</Text>
			<Box borderStyle="round" paddingX={1} flexWrap="wrap">
				{mnemonic.split(' ').map((w, i) => <Text key={i}>{`${String(i + 1).padStart(2)}. ${w.padEnd(10)} `}</Text>)}
			</Box>
			<Text dimColor>Press Enter when you have written it down (the words are then cleared from the screen).</Text>
		</Box>
	);
}

export async function showMnemonicOnce(mnemonic: string, label: string): Promise<void> {
	const app = render(<Card mnemonic={mnemonic} label={label} />);
	await app.waitUntilExit();
	app.clear();
}
