// Upload events for the current adapter's direct uploads (no queue: each blob goes out when it is ready),
// so the dashboard and the `upload` NDJSON events show weights, optimizer state, partitions and spot checks.
import {randomUUID} from 'node:crypto';
import {errorMessage} from '../../errors.js';
import type {UploadItem, UploadKind} from '../../storage/upload-types.js';

export type OnUpload = (item: UploadItem) => void;

/**
 * Runs one upload as an UploadItem: uploading, then done (under the key the upload returned, if any)
 * or failed with the error, which is rethrown. Without `onItem` it just runs the upload.
 */
export async function trackUpload<T>(onItem: OnUpload | undefined, kind: UploadKind, key: string, bytes: number, run: () => Promise<T>, keyOf?: (r: T) => string): Promise<T> {
	if (!onItem) return run();
	let item: UploadItem = {id: randomUUID(), key, kind, bytes, attempts: 1, state: 'uploading', error: null, queuedAt: Date.now()};
	onItem(item);
	try {
		const r = await run();
		onItem((item = {...item, key: keyOf ? keyOf(r) : item.key, state: 'done'}));
		return r;
	} catch (error) {
		onItem({...item, state: 'failed', error: errorMessage(error)});
		throw error;
	}
}
