// S3 client for the orchestrator side (miners hold no credentials and only see presigned URLs).
import {S3Client, type S3ClientConfig} from '@aws-sdk/client-s3';

export interface S3Config {
	/** e.g. http://127.0.0.1:9010 (path-style). */
	endpoint: string;
	bucket: string;
	accessKeyId: string;
	secretAccessKey: string;
	region?: string;
}

export function makeS3Client(cfg: S3Config): S3Client {
	const options: S3ClientConfig = {
		endpoint: cfg.endpoint,
		region: cfg.region ?? 'us-east-1',
		forcePathStyle: true,
		credentials: {accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey},
		// Emulators and R2 differ on the newer default checksums; only send them when required.
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED',
	};
	const client = new S3Client(options);
	// The SDK signs bucket-level requests as "/bucket/" but s3rver canonicalises "/bucket":
	// drop that trailing slash before signing (harmless on real S3/R2).
	client.middlewareStack.add(
		next => async args => {
			const request = (args as {request?: {path?: string}}).request;
			if (request?.path && /^\/[^/]+\/$/.test(request.path)) request.path = request.path.slice(0, -1);
			return next(args);
		},
		{step: 'build', name: 'iotaStripBucketSlash'},
	);
	return client;
}
