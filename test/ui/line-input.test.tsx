// Keys as a terminal delivers them: over SSH, tmux send-keys or a paste, text and Enter come as one
// chunk. The inputs must take "word\r" as the word then Enter and never keep a CR or LF in a value.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {stripVTControlCharacters} from 'node:util';
import React from 'react';
import {render} from 'ink-testing-library';
import {LineInput} from '../../source/ui/inputs/LineInput.js';
import {YesNo} from '../../source/ui/inputs/YesNo.js';
import {applyInput, emptyLine, MULTILINE_REFUSED, splitChunk} from '../../source/ui/inputs/line-edit.js';

const tick = () => new Promise(resolve => setTimeout(resolve, 30));

function mount(mask?: string) {
	const submitted: string[] = [];
	const app = render(<LineInput mask={mask} onSubmit={v => submitted.push(v)} />);
	const frame = () => stripVTControlCharacters(app.lastFrame() ?? '');
	return {app, submitted, frame};
}

test('splitChunk: text then Enter, CRLF, double Enter, and multi-line pastes', () => {
	assert.deepEqual(splitChunk('word\r'), {text: 'word', enter: true, multiline: false});
	assert.deepEqual(splitChunk('word\r\n'), {text: 'word', enter: true, multiline: false});
	assert.deepEqual(splitChunk('word\n'), {text: 'word', enter: true, multiline: false});
	assert.deepEqual(splitChunk('word\r\r'), {text: 'word', enter: true, multiline: false});
	assert.deepEqual(splitChunk('word'), {text: 'word', enter: false, multiline: false});
	assert.equal(splitChunk('one\rtwo').multiline, true);
	assert.equal(splitChunk('one\ntwo\n').multiline, true);
	assert.equal(splitChunk('a\tb\u0007c').text, 'a bc');
});

test('applyInput: edits at the cursor, and a refused paste leaves the value as it was', () => {
	let r = applyInput(emptyLine, 'helo');
	r = applyInput(r.state, '', {leftArrow: true});
	r = applyInput(r.state, 'l');
	assert.deepEqual(r.state, {value: 'hello', cursor: 4});
	r = applyInput(r.state, '', {backspace: true});
	assert.equal(r.state.value, 'helo');
	const refused = applyInput(r.state, 'x\ny\n');
	assert.equal(refused.refused, MULTILINE_REFUSED);
	assert.equal(refused.submit, false);
	assert.deepEqual(refused.state, r.state);
});

test('a text input written "word\\r" in one chunk submits "word"', async () => {
	const {app, submitted} = mount();
	await tick();
	app.stdin.write('word\r');
	await tick();
	assert.deepEqual(submitted, ['word']);
	app.unmount();
});

test('a password written "hunter22pw\\r" in one chunk submits it without the CR, and shows 10 asterisks before Enter', async () => {
	const {app, submitted, frame} = mount('*');
	await tick();
	app.stdin.write('hunter22pw');
	await tick();
	assert.match(frame(), /^\*{10}\s*$/m);
	assert.doesNotMatch(frame(), /\*{11}/);
	app.stdin.write('\r');
	await tick();
	const second = mount('*');
	await tick();
	second.app.stdin.write('hunter22pw\r');
	await tick();
	assert.deepEqual([...submitted, ...second.submitted], ['hunter22pw', 'hunter22pw']);
	for (const value of [...submitted, ...second.submitted]) assert.doesNotMatch(value, /[\r\n]/);
	app.unmount();
	second.app.unmount();
});

test('keys typed one at a time, with backspace, still work', async () => {
	const {app, submitted} = mount();
	await tick();
	for (const key of ['a', 'b', 'x', '\u007f', 'c']) {
		app.stdin.write(key);
		await tick();
	}
	app.stdin.write('\r');
	await tick();
	assert.deepEqual(submitted, ['abc']);
	app.unmount();
});

test('a paste of several lines is refused with one line, not stored or submitted', async () => {
	const {app, submitted, frame} = mount();
	await tick();
	app.stdin.write('first line\nsecond line\n');
	await tick();
	assert.deepEqual(submitted, []);
	assert.match(frame(), /several lines were pasted/);
	app.stdin.write('ok\r');
	await tick();
	assert.deepEqual(submitted, ['ok']);
	assert.doesNotMatch(frame(), /several lines/);
	app.unmount();
});

test('Y/n takes "y\\r" and "n\\r" as one chunk, and Enter alone as the default', async () => {
	for (const [chunk, expected] of [['y\r', 'yes'], ['n\r', 'no'], ['\r', 'yes'], ['Y', 'yes']] as const) {
		const answers: string[] = [];
		const app = render(<YesNo onConfirm={() => answers.push('yes')} onCancel={() => answers.push('no')} />);
		await tick();
		app.stdin.write(chunk);
		await tick();
		assert.deepEqual(answers, [expected], `chunk ${JSON.stringify(chunk)}`);
		app.unmount();
	}
});

test('a mnemonic field joins a pasted word-per-line mnemonic into one line', async () => {
	const submitted: string[] = [];
	const app = render(<LineInput mask="*" joinLines onSubmit={v => submitted.push(v)} />);
	await tick();
	app.stdin.write('alpha\nbravo\r\ncharlie\n');
	await tick();
	assert.deepEqual(submitted, ['alpha bravo charlie']);
	app.unmount();
});
