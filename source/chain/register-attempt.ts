// One auto-registration attempt at a block: register under the cap if the window allows, else say what we wait for.
import type {KeyringPair} from '@polkadot/keyring/types';
import {UserError} from '../errors.js';
import {decide} from './auto-register.js';
import {BurnAboveCap, formatTao, type ChainClient, type RegisterResult} from './client.js';
import type {RegistrationWindow} from './registration-window.js';

export type Target = {netuid: number; hotkey: string; coldkey: KeyringPair; cap: bigint};
export type Registered = {uid: number; burnPaid: bigint | null; fee: bigint | null; block: number | null; already: boolean};
export type Attempt = ({kind: 'registered'} & Registered) | {kind: 'wait'; why: string; burn: bigint | null};

/** Refusals that mean "not now" (the window shut or filled between the read and inclusion): nothing was spent. */
const NOT_NOW = /closed right now|TooManyRegistrationsThis(Block|Interval)|registrations this (block|interval)/i;

/** Never signs above the cap: the chain client checks the burn again right before signing (BurnAboveCap). */
export async function attemptRegistration(chain: ChainClient, w: RegistrationWindow, t: Target): Promise<Attempt> {
	const d = decide(w, t.cap, await chain.getUid(t.netuid, t.hotkey));
	if (d.action === 'done') return {kind: 'registered', uid: d.uid, burnPaid: null, fee: null, block: w.block, already: true};
	if (d.action === 'wait') return {kind: 'wait', why: d.why, burn: w.burn};
	try {
		const r = await chain.burnedRegister(t.coldkey, t.hotkey, t.netuid, {maxBurn: t.cap});
		if (r.alreadyRegistered) return {kind: 'registered', uid: r.uid, burnPaid: null, fee: null, block: w.block, already: true};
		return {kind: 'registered', ...(await paid(chain, t.coldkey.address, r))};
	} catch (error) {
		if (error instanceof BurnAboveCap) return {kind: 'wait', why: `burn ${formatTao(error.burn)} above your cap ${formatTao(t.cap)}`, burn: error.burn};
		if (error instanceof Error && NOT_NOW.test(error.message)) {
			return {kind: 'wait', why: `the window shut before inclusion (${error.message.split('\n')[0]!.slice(0, 120)})`, burn: w.burn};
		}
		throw error instanceof UserError ? error : new UserError(`registration failed: ${(error as Error).message}`);
	}
}

/** What the registration cost, from the coldkey's balance around the inclusion block less the fee. */
async function paid(chain: ChainClient, coldkey: string, r: RegisterResult): Promise<Registered> {
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
