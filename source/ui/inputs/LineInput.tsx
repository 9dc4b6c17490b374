// One-line text or password input that takes keys as a terminal delivers them (see line-edit.ts).
import React, {useRef, useState} from 'react';
import {Box, Text, useInput, usePaste} from 'ink';
import {applyInput, emptyLine, type LineKey} from './line-edit.js';

export type LineInputProps = {
	onSubmit: (value: string) => void;
	mask?: string; // shown instead of each character (passwords, mnemonics)
	placeholder?: string;
	isDisabled?: boolean;
	joinLines?: boolean; // a paste of several lines becomes one line with spaces (mnemonics)
};

export function LineInput({onSubmit, mask, placeholder, isDisabled = false, joinLines = false}: LineInputProps) {
	const [line, setLine] = useState(emptyLine);
	const [refused, setRefused] = useState<string>();
	// Several events can arrive before React renders again: each must see the previous one's result.
	const current = useRef(emptyLine);
	const take = (input: string, key: LineKey) => {
		const result = applyInput(current.current, input, key, joinLines);
		current.current = result.state;
		setRefused(result.refused);
		setLine(result.state);
		if (result.submit) onSubmit(result.state.value);
	};
	useInput((input, key) => take(input, key), {isActive: !isDisabled});
	usePaste(text => take(text, {}), {isActive: !isDisabled});

	const shown = mask === undefined ? line.value : mask.repeat(line.value.length);
	const before = shown.slice(0, line.cursor);
	const at = shown.slice(line.cursor, line.cursor + 1) || ' ';
	const after = shown.slice(line.cursor + 1);
	return (
		<Box flexDirection="column">
			{line.value === '' && placeholder && isDisabled ? <Text dimColor>{placeholder}</Text> : (
				<Text>{before}{isDisabled ? at : <Text inverse>{at}</Text>}{after}</Text>
			)}
			{refused && <Text color="red">{refused}</Text>}
		</Box>
	);
}
