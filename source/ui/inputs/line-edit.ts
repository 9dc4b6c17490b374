// Pure editing of a one-line input from the chunks a terminal delivers. Over SSH, tmux send-keys
// or a paste, text and its Enter arrive as one chunk ("word\r"): that is the text, then Enter.
export type LineState = {value: string; cursor: number};
export type LineKey = {return?: boolean; backspace?: boolean; delete?: boolean; leftArrow?: boolean; rightArrow?: boolean; ctrl?: boolean; meta?: boolean; tab?: boolean; escape?: boolean; upArrow?: boolean; downArrow?: boolean};
export type LineResult = {state: LineState; submit: boolean; refused?: string};

export const emptyLine: LineState = {value: '', cursor: 0};
export const MULTILINE_REFUSED = 'several lines were pasted into a one-line field: not taken, paste a single line';

// Control characters other than line breaks never belong in a value (a tab becomes a space).
const clean = (text: string) => text.replace(/\t/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');

/**
 * Splits a chunk into its text and whether it ends in Enter; a line break anywhere else refuses it,
 * unless joinLines (a mnemonic written one word per line) joins the lines with spaces.
 */
export function splitChunk(chunk: string, joinLines = false): {text: string; enter: boolean; multiline: boolean} {
	const lines = chunk.replace(/\r\n?/g, '\n').split('\n');
	const enter = lines.length > 1 && lines.at(-1) === '';
	const body = enter ? lines.slice(0, -1) : lines;
	// "text\r\r" (Enter twice) is still one line; text on two lines is a multi-line paste.
	const filled = body.filter((line, i) => line !== '' || i === 0);
	if (filled.length > 1 && !joinLines) return {text: '', enter: false, multiline: true};
	return {text: clean(filled.join(' ')), enter, multiline: false};
}

function insert(state: LineState, text: string): LineState {
	const value = state.value.slice(0, state.cursor) + text + state.value.slice(state.cursor);
	return {value, cursor: state.cursor + text.length};
}

/** One event from Ink's useInput (or a paste) applied to the line. */
export function applyInput(state: LineState, input: string, key: LineKey = {}, joinLines = false): LineResult {
	if (key.return) return {state, submit: true};
	if (key.backspace || key.delete) {
		if (state.cursor === 0) return {state, submit: false};
		return {state: {value: state.value.slice(0, state.cursor - 1) + state.value.slice(state.cursor), cursor: state.cursor - 1}, submit: false};
	}
	if (key.leftArrow) return {state: {...state, cursor: Math.max(0, state.cursor - 1)}, submit: false};
	if (key.rightArrow) return {state: {...state, cursor: Math.min(state.value.length, state.cursor + 1)}, submit: false};
	if (key.ctrl || key.meta || key.tab || key.escape || key.upArrow || key.downArrow) return {state, submit: false};
	const {text, enter, multiline} = splitChunk(input, joinLines);
	if (multiline) return {state, submit: false, refused: MULTILINE_REFUSED};
	return {state: insert(state, text), submit: enter};
}

/** A single-key answer from a chunk: "y\r" is "y" then Enter; returns the key and whether Enter came. */
export function keyOfChunk(input: string): {key: string; enter: boolean} {
	const {text, enter, multiline} = splitChunk(input);
	return multiline ? {key: '', enter: false} : {key: text.trim(), enter};
}
