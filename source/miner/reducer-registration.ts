// The reducer's registration events: the window read from the chain, a lost uid, a uid regained.
import type {MinerEvent, MinerState} from './types.js';

type RegistrationEvent = Extract<MinerEvent, {type: 'chain_registered' | 'deregistered' | 'registration'}>;
type AddLog = (state: MinerState, level: 'info' | 'warn' | 'error', text: string, at: number) => MinerState['log'];

const tao = (rao: string | null) => (rao === null ? '?' : `${(Number(BigInt(rao)) / 1e9).toFixed(4)} TAO`);

export function registrationReducer(state: MinerState, event: RegistrationEvent, addLog: AddLog): MinerState {
	switch (event.type) {
		case 'registration':
			return {...state, registration: event.info};
		case 'deregistered': {
			const next = event.auto
				? 'registering again under the --max-burn cap when the window opens'
				: 'register it again (`iota-tui register`, or restart with `mine --auto --max-burn TAO`)';
			const text = `the hotkey lost uid ${event.uid} on the chain${event.block === null ? '' : ` at block ${event.block}`} (pruned): mining paused, uploads kept; ${next}`;
			return {
				...state,
				uid: null,
				deregistered: {uid: event.uid, block: event.block, at: event.at},
				status: state.status === 'stopping' || state.status === 'stopped' || state.status === 'error' ? state.status : 'deregistered',
				log: addLog(state, 'error', text, event.at),
			};
		}
		case 'chain_registered': {
			const status = state.status === 'starting' ? 'registering' : state.status === 'deregistered' ? 'registering' : state.status;
			if (!event.again) return {...state, uid: event.uid, deregistered: null, status};
			const paid = event.again.burnRao === null ? '' : `, burned ${tao(event.again.burnRao)}`;
			const text = `registered again: uid ${event.uid}${paid}${event.again.block === null ? '' : ` in block ${event.again.block}`}; mining resumes`;
			return {...state, uid: event.uid, deregistered: null, status, log: addLog(state, 'info', text, event.again.at)};
		}
	}
}
