// Uploads into the devnet store: the orchestrator names the object and presigns its PUT (or each part's).
import * as S from '../../orchestrator/current/schemas.js';
import type {CurrentCore} from './core.js';
import {invalidRequest} from './errors.js';
import {objectName} from './objects.js';

/** The completion lists every part (up to 10,000), so its body may be larger than the others. */
const COMPLETE_BODY_LIMIT = 1 << 20;
/** S3 compares quoted ETags; the public client sends them unquoted. */
const quoted = (etag: string) => (etag.startsWith('"') ? etag : `"${etag}"`);

export function registerUploadRoutes(core: CurrentCore): void {
	const {state, settings} = core;

	core.route('POST', '/miner/initiate_file_upload', {auth: 'miner', body: S.FileUploadRequest}, async ({hotkey, body}) => {
		const now = core.now();
		const multipart = body.multipart ?? true;
		if (body.num_parts > settings.max_upload_parts) throw invalidRequest(`num_parts ${body.num_parts} is over the limit of ${settings.max_upload_parts}`);
		if (!multipart && body.num_parts !== 1) throw invalidRequest('a single-part upload has num_parts 1');
		// Uploads left open count against the miner until they expire: s3rver keeps every one.
		if (multipart && state.uploads.openCount(hotkey, now - settings.upload_expires_s * 1000) >= settings.max_open_uploads) {
			throw invalidRequest(`too many open uploads (${settings.max_open_uploads}): complete them first`);
		}
		const key = objectName(settings.run_id, body.file_type, hotkey, state.run().epoch);
		const expires = settings.upload_expires_s;
		if (!multipart) {
			const url = await core.presigner.putUrl(key, expires);
			state.uploads.add({object_name: key, hotkey, file_type: body.file_type, upload_id: null, num_parts: 1, created_at: now});
			return {object_name: key, urls: [url], upload_id: null};
		}
		const uploadId = await core.presigner.createMultipart(key);
		const urls = await Promise.all(Array.from({length: body.num_parts}, (_, i) => core.presigner.partUrl(key, uploadId, i + 1, expires)));
		state.uploads.add({object_name: key, hotkey, file_type: body.file_type, upload_id: uploadId, num_parts: body.num_parts, created_at: now});
		return {object_name: key, urls, upload_id: uploadId};
	});

	const completeOpts = {auth: 'miner' as const, body: S.FileUploadCompletionRequest, maxBody: COMPLETE_BODY_LIMIT};
	core.route('POST', '/miner/complete_multipart_upload', completeOpts, async ({hotkey, body}) => {
		const row = state.uploads.get(body.object_name);
		if (!row || row.hotkey !== hotkey) throw invalidRequest('not an upload of this miner');
		if (!row.upload_id) throw invalidRequest('a single-part upload needs no completion');
		if (body.upload_id !== row.upload_id) throw invalidRequest('upload_id does not match this object');
		if (row.completed) return {object_path: row.object_name};
		const parts = body.parts ?? [];
		const numbers = new Set(parts.map(p => p.PartNumber));
		if (parts.length === 0 || numbers.size !== parts.length || parts.some(p => p.PartNumber > row.num_parts)) {
			throw invalidRequest(`parts must be distinct part numbers within 1..${row.num_parts}`);
		}
		try {
			await core.presigner.completeMultipart(row.object_name, row.upload_id, parts.map(p => ({PartNumber: p.PartNumber, ETag: quoted(p.ETag)})));
		} catch (error) {
			throw invalidRequest(`multipart upload could not be completed: ${(error as Error).message}`);
		}
		state.uploads.complete(row.object_name);
		return {object_path: row.object_name};
	});
}
