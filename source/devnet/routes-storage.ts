// Uploads through presigned PUT URLs (single or multipart) and the current layer weights.
import {z} from 'zod';
import {MultipartCompleteRequest, MultipartInitiateRequest, PresignedUrlRequest, type Partition} from '../orchestrator/schemas.js';
import {HttpError, parseBody, type Core} from './server.js';
import {toKey, uploadRefusal} from './paths.js';

const MAX_PARTS = 10_000;

export function registerStorageRoutes(core: Core): void {
	const checkPath = (path: string, hotkey: string, layer: number): string => {
		const key = toKey(path, core.bucket);
		const refusal = uploadRefusal(key, hotkey, layer);
		if (refusal) throw new HttpError(403, refusal);
		return key;
	};

	core.route('POST', '/storage/multipart_upload/initiate', {auth: 'miner'}, async ({hotkey, miner, body}) => {
		const req = parseBody(MultipartInitiateRequest, body);
		const key = checkPath(req.path, hotkey, miner!.layer);
		if (req.file_size <= req.part_size) {
			return {message: 'Single-part upload', data: {use_multipart: false, presigned_data: await core.presigner.putUrl(key, req.expires_in)}};
		}
		const total = Math.ceil(req.file_size / req.part_size);
		if (total > MAX_PARTS) throw new HttpError(422, `invalid request: more than ${MAX_PARTS} parts`);
		const uploadId = await core.presigner.createMultipart(key);
		const partNumbers = Array.from({length: total}, (_, i) => i + 1);
		const urls = await Promise.all(partNumbers.map(n => core.presigner.partUrl(key, uploadId, n, req.expires_in)));
		return {
			message: 'Multipart upload initiated',
			data: {
				use_multipart: true,
				multipart_data: {upload_id: uploadId, presigned_urls: urls.map(url => ({url})), part_numbers: partNumbers},
				part_size: req.part_size,
				total_parts: total,
			},
		};
	});

	core.route('POST', '/storage/multipart_upload/complete', {auth: 'miner'}, async ({hotkey, miner, body}) => {
		const req = parseBody(MultipartCompleteRequest, body);
		const key = checkPath(req.path, hotkey, miner!.layer);
		try {
			await core.presigner.completeMultipart(key, req.upload_id, req.parts);
		} catch (error) {
			throw new HttpError(400, `multipart upload could not be completed: ${(error as Error).message}`);
		}
		return {message: 'Multipart upload completed', data: {s3_path: key}};
	});

	// v1 sends {path, expires_in} as a JSON body on this GET; query parameters work too.
	core.route('GET', '/storage/presigned_url', {auth: 'miner'}, async ({hotkey, miner, body, query}) => {
		const source = body && typeof body === 'object' && Object.keys(body).length > 0 ? body : {path: query.path, expires_in: query.expires_in ? Number(query.expires_in) : undefined};
		const req = parseBody(PresignedUrlRequest, source);
		const key = checkPath(req.path, hotkey, miner!.layer);
		return {message: 'Presigned URL generated', data: {presigned_data: await core.presigner.putUrl(key, req.expires_in)}};
	});

	core.route('GET', '/storage/weights/layer/:layer', {auth: 'miner'}, async ({params}) => {
		const layer = parseBody(z.coerce.number().int().min(0).max(core.settings.layers - 1), params.layer);
		return Promise.all(core.state.layerWeights(layer).map(p => presignPartition(core, p)));
	});
}

/** A stored partition with every path turned into a presigned GET URL. */
export async function presignPartition(core: Core, p: Partition): Promise<Partition> {
	const get = (key: string) => core.presigner.getUrl(key, core.settings.download_expires_s);
	return {
		...p,
		weight_path: await get(p.weight_path),
		weight_metadata_path: await get(p.weight_metadata_path),
		optimizer_state_path: await get(p.optimizer_state_path),
		optimizer_state_metadata_path: await get(p.optimizer_state_metadata_path),
	};
}
