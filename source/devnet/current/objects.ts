// Store keys the orchestrator hands out, and the check that a key a miner submits is its own finished upload.
import {randomUUID} from 'node:crypto';
import {HttpError} from '../core.js';
import {toKey} from '../paths.js';
import type {CurrentCore} from './core.js';
import {invalidRequest} from './errors.js';
import type {FileType} from './state-uploads.js';

/** {file_type}/{run}/{hotkey}/{epoch}/{uuid}: named by the orchestrator, never by the miner. */
export const objectName = (run: string, fileType: FileType, hotkey: string, epoch: number): string =>
	`${fileType}/${run}/${hotkey}/${epoch}/${randomUUID()}.${fileType === 'activation' ? 'pt' : 'blob'}`;

export const sampleKey = (run: string, i: number): string => `samples/${run}/${i}.txt`;
export const spotCheckKey = (run: string, activationId: string): string => `spot-checks/${run}/${activationId}/0/forward.pt`;

/** The store key of a submitted path or URL, or an InvalidRequestError. */
export function keyOf(core: CurrentCore, path: string): string {
	try {
		return toKey(path, core.bucket);
	} catch (error) {
		if (error instanceof HttpError) throw invalidRequest(error.detail);
		throw error;
	}
}

/** The key of an object this miner uploaded as `fileType`, complete and present in the store. */
export async function ownedObject(core: CurrentCore, path: string, hotkey: string, fileType: FileType): Promise<string> {
	const key = keyOf(core, path);
	const row = core.state.uploads.get(key);
	if (!row || row.hotkey !== hotkey || row.file_type !== fileType) throw invalidRequest(`${key.slice(0, 200)} is not a ${fileType} object uploaded by this miner`);
	if (!row.completed) throw invalidRequest(`multipart upload of ${key.slice(0, 200)} was not completed`);
	if ((await core.presigner.size(key)) === null) throw invalidRequest(`object not found in store: ${key.slice(0, 200)}`);
	return key;
}
