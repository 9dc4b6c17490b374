// Starts the devnet validator: for v1 with object reads through the devnet store (presigned GET),
// for the current protocol on the current orchestrator's work records.
import {makeS3Client} from '../storage/s3.js';
import {Presigner} from '../storage/presign.js';
import type {StoreAccess} from './core.js';
import type {CurrentState} from './current/state.js';
import {CurrentScorer} from './current/score.js';
import {DevnetValidator, type ValidatorOptions} from './score-validator.js';
import {V1Scorer, type V1ScorerOptions} from './score-v1.js';

type ChainOptions = Omit<ValidatorOptions, 'scorer'>;

export async function startValidator(opts: ChainOptions & Omit<V1ScorerOptions, 'fetchObject'> & {store: StoreAccess}): Promise<DevnetValidator> {
	const presigner = new Presigner(makeS3Client({...opts.store}), opts.store.bucket);
	const fetchObject = async (key: string) => {
		const r = await fetch(await presigner.getUrl(key, 300));
		if (!r.ok) throw new Error(`store GET ${key}: HTTP ${r.status}`);
		return new Uint8Array(await r.arrayBuffer());
	};
	return DevnetValidator.start({...opts, scorer: new V1Scorer({...opts, fetchObject})});
}

export async function startCurrentValidator(opts: ChainOptions & {state: () => CurrentState}): Promise<DevnetValidator> {
	return DevnetValidator.start({...opts, scorer: new CurrentScorer(opts.state)});
}
