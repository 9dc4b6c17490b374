// `register --auto`'s and the wizard's wait: one attempt at each new head (register-attempt.ts) until the hotkey has a uid.
import type {KeyringPair} from '@polkadot/keyring/types';
import type {ChainClient} from './client.js';
import {attemptRegistration, type Registered} from './register-attempt.js';
import {followHeads, type RegistrationWindow} from './registration-window.js';
import {UserError, errorMessage} from '../errors.js';

export type {Registered};

export type WaitEvents = {
	/** What we wait for, said only when it changes (the burn is the one that made us wait). */
	onWait(why: string, w: RegistrationWindow, burn: bigint | null): void;
	/** Every window read, one per new head. */
	onWindow?(w: RegistrationWindow): void;
	onReadError(message: string): void;
};

/**
 * Decides at each new head until the hotkey holds a uid, registering with {maxBurn: cap} so nothing is ever sent
 * above the cap. Resolves with the result, or null when the signal stops it first.
 */
export function untilRegistered(chain: ChainClient, netuid: number, hotkey: string, coldkey: KeyringPair, cap: bigint, events: WaitEvents, signal?: AbortSignal): Promise<Registered | null> {
	return new Promise((resolve, reject) => {
		let lastWhy: string | null = null;
		let finished = false;
		const wait = (why: string, w: RegistrationWindow, burn = w.burn) => {
			if (why === lastWhy) return;
			lastWhy = why;
			events.onWait(why, w, burn);
		};
		const end = (settle: () => void) => {
			if (finished) return;
			finished = true;
			signal?.removeEventListener('abort', stop);
			void unsubscribe.then(off => off(), () => undefined);
			settle();
		};
		const stop = () => end(() => resolve(null));
		const onWindow = async (w: RegistrationWindow) => {
			if (finished) return;
			events.onWindow?.(w);
			try {
				const a = await attemptRegistration(chain, w, {netuid, hotkey, coldkey, cap});
				if (a.kind === 'wait') return wait(a.why, w, a.burn);
				const {kind: _, ...result} = a;
				end(() => resolve(result));
			} catch (error) {
				end(() => reject(error));
			}
		};
		const unsubscribe = followHeads(chain, netuid, onWindow, events.onReadError);
		unsubscribe.catch(error => end(() => reject(new UserError(`cannot follow new blocks: ${errorMessage(error)}`))));
		if (signal?.aborted) stop();
		else signal?.addEventListener('abort', stop, {once: true});
	});
}
