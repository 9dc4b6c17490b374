// Uploads through presigned PUT URLs (single or multipart) and the current layer weights.
import {z} from 'zod';
import {MAX_PARTS, MultipartCompleteRequest, MultipartInitiateRequest, PathField, PresignedUrlRequest, type Partition} from '../orchestrator/schemas.js';
import {HttpError, parseBody, type Core} from './core.js';
import {toKey, uploadRefusal} from './paths.js';

const PresignedUrlQuery = z.strictObject({path: PathField.optional(), expires_in: z.string().regex(/^\d{1,7}$/, 'not a number of seconds').optional()});
const LayerParam = z.string().regex(/^\d{1,2}$/, 'not a layer number');
/** The complete request lists every part (up to 10,000): its body may be larger than the others. */
const COMPLETE_BODY_LIMIT = 1 << 20;

export function registerStorageRoutes(core: Core): void {
	const checkPath = (path: string, hotkey: string, layer: number): string => {
		const key = toKey(path, core.bucket);
		const refusal = uploadRefusal(key, hotkey, layer);
		if (refusal) throw new HttpError(403, refusal);
		return key;
	};

	core.route('POST', '/storage/multipart_upload/initiate', {auth: 'miner', body: MultipartInitiateRequest}, async ({hotkey, miner, body: req}) => {
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

	core.route('POST', '/storage/multipart_upload/complete', {auth: 'miner', body: MultipartCompleteRequest, maxBody: COMPLETE_BODY_LIMIT}, async ({hotkey, miner, body: req}) => {
		const key = checkPath(req.path, hotkey, miner!.layer);
		try {
			await core.presigner.completeMultipart(key, req.upload_id, req.parts);
		} catch (error) {
			throw new HttpError(400, `multipart upload could not be completed: ${(error as Error).message}`);
		}
		return {message: 'Multipart upload completed', data: {s3_path: key}};
	});

	// v1 sends {path, expires_in} as a JSON body on this GET; query parameters work too.
	const presignedOpts = {auth: 'miner' as const, body: PresignedUrlRequest.optional(), query: PresignedUrlQuery};
	core.route('GET', '/storage/presigned_url', presignedOpts, async ({hotkey, miner, body, query}) => {
		const req = body ?? parseBody(PresignedUrlRequest, {path: query.path, expires_in: query.expires_in ? Number(query.expires_in) : undefined}, 'query');
		const key = checkPath(req.path, hotkey, miner!.layer);
		return {message: 'Presigned URL generated', data: {presigned_data: await core.presigner.putUrl(key, req.expires_in)}};
	});

	core.route('GET', '/storage/weights/layer/:layer', {auth: 'miner'}, async ({params}) => {
		const layer = Number(parseBody(LayerParam, params.layer, 'layer'));
		if (layer >= core.settings.layers) throw new HttpError(404, `no layer ${layer}`);
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
