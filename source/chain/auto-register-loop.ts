// `register --auto`'s wait: decide at each new head, sign under the cap once the window opens, report what it paid.
import type {KeyringPair} from '@polkadot/keyring/types';
import {BurnAboveCap, formatTao, type ChainClient} from './client.js';
import {decide} from './auto-register.js';
import {followHeads, type RegistrationWindow} from './registration-window.js';
import {UserError, errorMessage} from '../errors.js';

export type Registered = {uid: number; burnPaid: bigint | null; fee: bigint | null; block: number | null; already: boolean};

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
			const d = decide(w, cap, await chain.getUid(netuid, hotkey));
			if (d.action === 'done') return end(() => resolve({uid: d.uid, burnPaid: null, fee: null, block: w.block, already: true}));
			if (d.action === 'wait') return wait(d.why, w);
			try {
				const r = await chain.burnedRegister(coldkey, hotkey, netuid, {maxBurn: cap});
				const result = r.alreadyRegistered ? {uid: r.uid, burnPaid: null, fee: null, block: w.block, already: true} : await paid(chain, coldkey.address, r);
				end(() => resolve(result));
			} catch (error) {
				// The burn moved up (or the window shut) between the read and the signature: nothing was sent, keep waiting.
				if (error instanceof BurnAboveCap) return wait(`burn ${formatTao(error.burn)} above your cap ${formatTao(cap)}`, w, error.burn);
				if (error instanceof UserError && /closed right now/.test(error.message)) return wait(`registration disabled on subnet ${netuid}`, w);
				end(() => reject(error));
			}
		};
		const unsubscribe = followHeads(chain, netuid, onWindow, events.onReadError);
		unsubscribe.catch(error => end(() => reject(new UserError(`cannot follow new blocks: ${errorMessage(error)}`))));
		if (signal?.aborted) stop();
		else signal?.addEventListener('abort', stop, {once: true});
	});
}

/** What the registration cost, from the coldkey's balance around the inclusion block less the fee. */
export async function paid(chain: ChainClient, coldkey: string, r: {uid: number; blockHash?: string; burn?: bigint; fee?: bigint | null}): Promise<Registered> {
	if (!r.blockHash) return {uid: r.uid, burnPaid: r.burn ?? null, fee: r.fee ?? null, block: null, already: false};
	const header = await chain.api.rpc.chain.getHeader(r.blockHash);
	const balanceAt = async (hash: string) => {
		const api = await chain.api.at(hash);
		return ((await api.query.system.account(coldkey)) as unknown as {data: {free: {toBigInt(): bigint}}}).data.free.toBigInt();
	};
	const [before, after] = await Promise.all([balanceAt(header.parentHash.toHex()), balanceAt(r.blockHash)]);
	const burnPaid = r.fee === null || r.fee === undefined ? (r.burn ?? null) : before - after - r.fee;
	return {uid: r.uid, burnPaid, fee: r.fee ?? null, block: header.number.toNumber(), already: false};
}
