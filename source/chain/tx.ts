// Sign, submit and wait for inclusion, turning dispatch errors into readable text.
import type {ApiPromise} from '@polkadot/api';
import type {SubmittableExtrinsic} from '@polkadot/api/types';
import type {KeyringPair} from '@polkadot/keyring/types';
import type {EventRecord, DispatchError} from '@polkadot/types/interfaces';
import {errorMessage} from '../errors.js';

export class DispatchFailure extends Error {
	constructor(
		readonly section: string,
		readonly name: string,
		readonly docs: string,
	) {
		super(`${section}.${name}${docs ? `: ${docs}` : ''}`);
	}
}

export function describeDispatchError(api: ApiPromise, error: DispatchError): DispatchFailure {
	if (error.isModule) {
		const meta = api.registry.findMetaError(error.asModule);
		return new DispatchFailure(meta.section, meta.name, meta.docs.join(' ').trim());
	}
	// Token/Arithmetic/... errors carry an enum inside: "token.FundsUnavailable".
	const inner = (error.value as {type?: string} | undefined)?.type;
	return inner ? new DispatchFailure(error.type.toLowerCase(), inner, '') : new DispatchFailure('system', error.type, '');
}

export type TxResult = {blockHash: string; events: EventRecord[]};

// Pool-level rejections (not included in a block): another sender took the nonce; retry with a fresh one.
const TRANSIENT = /1010|1014|Priority is too low|stale|Transaction is outdated|already imported|transaction (invalid|dropped|usurped)/i;

// Retries pool rejections caused by nonce races (several senders at once on a devnet).
export async function sendAndWait(api: ApiPromise, tx: SubmittableExtrinsic<'promise'>, signer: KeyringPair, attempts = 5): Promise<TxResult> {
	for (let attempt = 1; ; attempt++) {
		try {
			const nonce = await api.rpc.system.accountNextIndex(signer.address);
			return await new Promise<TxResult>((resolve, reject) => {
				tx.signAndSend(signer, {nonce}, result => {
					if (result.dispatchError) {
						reject(describeDispatchError(api, result.dispatchError));
					} else if (result.status.isInBlock || result.status.isFinalized) {
						const failed = result.events.find(e => api.events.system.ExtrinsicFailed.is(e.event));
						if (failed) reject(describeDispatchError(api, failed.event.data[0] as DispatchError));
						else resolve({blockHash: (result.status.isInBlock ? result.status.asInBlock : result.status.asFinalized).toHex(), events: result.events});
					} else if (result.status.isInvalid || result.status.isDropped || result.status.isUsurped) {
						reject(new Error(`transaction ${result.status.type.toLowerCase()}`));
					}
				}).catch(reject);
			});
		} catch (error) {
			if (error instanceof DispatchFailure || attempt >= attempts || !TRANSIENT.test(errorMessage(error))) throw error;
			await new Promise(r => setTimeout(r, 200 * attempt));
		}
	}
}
