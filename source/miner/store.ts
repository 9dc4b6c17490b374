// The miner store: state plus listeners. dispatch() reduces synchronously and notifies listeners
// with the new state and the event; views throttle their own redraws.
import {initialMinerState, minerReducer} from './reducer.js';
import type {MinerEvent, MinerState, MinerStore} from './types.js';

export function createMinerStore(initial: MinerState = initialMinerState()): MinerStore {
	let state = initial;
	const listeners = new Set<(state: MinerState, event: MinerEvent) => void>();
	return {
		getState: () => state,
		dispatch(event) {
			state = minerReducer(state, event);
			for (const l of [...listeners]) {
				try {
					l(state, event);
				} catch {
					// a failing view must not stop the miner
				}
			}
		},
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
	};
}
