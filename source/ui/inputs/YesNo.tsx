// Y/n question that takes "y", "y" + Enter in one chunk, or Enter alone for the default.
import React from 'react';
import {Text, useInput} from 'ink';
import {keyOfChunk} from './line-edit.js';

export type YesNoProps = {onConfirm: () => void; onCancel: () => void; defaultYes?: boolean; isDisabled?: boolean};

export function YesNo({onConfirm, onCancel, defaultYes = true, isDisabled = false}: YesNoProps) {
	useInput((input, key) => {
		const {key: answer, enter} = keyOfChunk(input);
		const first = answer.toLowerCase()[0];
		if (first === 'y') onConfirm();
		else if (first === 'n') onCancel();
		else if ((key.return || enter) && answer === '') (defaultYes ? onConfirm : onCancel)();
	}, {isActive: !isDisabled});
	return <Text dimColor>{defaultYes ? 'Y/n' : 'y/N'}</Text>;
}
