// Starts the devnet validator with object reads through the devnet store (presigned GET).
import {makeS3Client} from '../storage/s3.js';
import {Presigner} from '../storage/presign.js';
import type {StoreAccess} from './core.js';
import {DevnetValidator, type ValidatorOptions} from './score-validator.js';

export async function startValidator(opts: Omit<ValidatorOptions, 'fetchObject'> & {store: StoreAccess}): Promise<DevnetValidator> {
	const presigner = new Presigner(makeS3Client({...opts.store}), opts.store.bucket);
	const fetchObject = async (key: string) => {
		const r = await fetch(await presigner.getUrl(key, 300));
		if (!r.ok) throw new Error(`store GET ${key}: HTTP ${r.status}`);
		return new Uint8Array(await r.arrayBuffer());
	};
	return DevnetValidator.start({...opts, fetchObject});
}
