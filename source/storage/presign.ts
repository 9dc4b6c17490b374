// Presigned URLs (PUT, GET, multipart parts) for the bucket the orchestrator owns.
import {
	CompleteMultipartUploadCommand,
	CreateMultipartUploadCommand,
	GetObjectCommand,
	HeadObjectCommand,
	PutObjectCommand,
	UploadPartCommand,
	type S3Client,
} from '@aws-sdk/client-s3';
import {getSignedUrl} from '@aws-sdk/s3-request-presigner';

export class Presigner {
	constructor(
		readonly s3: S3Client,
		readonly bucket: string,
	) {}

	putUrl(key: string, expiresIn: number): Promise<string> {
		return getSignedUrl(this.s3, new PutObjectCommand({Bucket: this.bucket, Key: key}), {expiresIn});
	}

	/** A GET URL; Range requests work on it (the Range header is not signed). */
	getUrl(key: string, expiresIn: number): Promise<string> {
		return getSignedUrl(this.s3, new GetObjectCommand({Bucket: this.bucket, Key: key}), {expiresIn});
	}

	async createMultipart(key: string): Promise<string> {
		const r = await this.s3.send(new CreateMultipartUploadCommand({Bucket: this.bucket, Key: key}));
		if (!r.UploadId) throw new Error('object store returned no upload id');
		return r.UploadId;
	}

	partUrl(key: string, uploadId: string, partNumber: number, expiresIn: number): Promise<string> {
		return getSignedUrl(
			this.s3,
			new UploadPartCommand({Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber}),
			{expiresIn},
		);
	}

	async completeMultipart(key: string, uploadId: string, parts: {PartNumber: number; ETag: string}[]): Promise<void> {
		await this.s3.send(
			new CompleteMultipartUploadCommand({
				Bucket: this.bucket,
				Key: key,
				UploadId: uploadId,
				MultipartUpload: {Parts: [...parts].sort((a, b) => a.PartNumber - b.PartNumber)},
			}),
		);
	}

	/** Size in bytes, or null when the object does not exist. */
	async size(key: string): Promise<number | null> {
		try {
			const r = await this.s3.send(new HeadObjectCommand({Bucket: this.bucket, Key: key}));
			return r.ContentLength ?? 0;
		} catch (error) {
			const status = (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode;
			if (status === 404) return null;
			throw error;
		}
	}
}
