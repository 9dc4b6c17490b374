// What a key does on the wizard's screens that have no input field: an event for the reducer, leaving, or nothing.
import {doctorBlocks, type SetupEvent, type Step} from './state.js';

export type KeyAction = {event: SetupEvent} | {leave: 'mine' | 'quit'} | null;

/** `input` is the typed letter ('' for Enter alone); `enter` and `escape` the keys. */
export function keyAction(step: Step, input: string, enter: boolean, escape: boolean): KeyAction {
	const blocked = step.kind === 'doctor' && step.checks ? doctorBlocks(step.checks).length > 0 : null;
	switch (step.kind) {
		case 'done':
			if (enter) return {event: {type: 'mine-chosen'}};
			return input === 'q' ? {leave: 'quit'} : null;
		case 'failed':
			if (input === 'q' || (!step.retry && enter)) return {leave: 'quit'};
			return step.retry && (input === 'r' || enter) ? {event: {type: 'retry'}} : null;
		case 'auto-register':
			if (input === 'q') return {leave: 'quit'};
			return input === 'c' ? {event: {type: 'auto-cancel'}} : null;
		case 'enter-cap':
			return escape ? {event: {type: 'auto-cancel'}} : null;
		case 'doctor':
			if (input === 'q') return {leave: 'quit'};
			if (blocked === true && input === 'r') return {event: {type: 'retry'}};
			return blocked === false && enter ? {leave: 'mine'} : null;
		default:
			return null;
	}
}
