// The devnet object store: @20minutes/s3rver on 127.0.0.1. It checks SigV4 signatures (so a
// tampered or expired presigned URL is refused); we add a project key pair, revoke the default
// one, and refuse anonymous requests, which s3rver would otherwise serve.
import {createRequire} from 'node:module';
import {mkdirSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';

const require = createRequire(import.meta.url);

export interface StoreOptions {
	directory: string;
	port?: number;
	host?: string;
	bucket?: string;
	accessKeyId?: string;
	secretAccessKey?: string;
}

export interface ObjectStore {
	url: string;
	bucket: string;
	accessKeyId: string;
	secretAccessKey: string;
	close(): Promise<void>;
}

type KoaContext = {method: string; headers: Record<string, string | undefined>; query: Record<string, unknown>; status: number; body: unknown; type: string};
type Part = {number: number; etag: string};
type FilesystemStore = {
	getResourcePath(bucket: string, key: undefined, resource: string): string;
	putObjectMultipart(bucket: string, uploadId: string, parts: Part[]): Promise<unknown>;
};
type S3rverInstance = {
	store: FilesystemStore;
	middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
	run(): Promise<AddressInfo>;
	close(): Promise<void>;
};

const DENIED = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Anonymous access is not allowed</Message></Error>';

export async function startObjectStore(opts: StoreOptions): Promise<ObjectStore> {
	const S3rver = require('@20minutes/s3rver') as new (o: object) => S3rverInstance;
	const {DUMMY_ACCOUNT} = require('@20minutes/s3rver/lib/models/account') as {
		DUMMY_ACCOUNT: {createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void};
	};
	const bucket = opts.bucket ?? 'iota-devnet';
	const accessKeyId = opts.accessKeyId ?? 'iota-devnet';
	const secretAccessKey = opts.secretAccessKey ?? 'iota-devnet-secret';
	DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
	DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
	mkdirSync(opts.directory, {recursive: true});
	const host = opts.host ?? '127.0.0.1';
	const server = new S3rver({
		address: host,
		port: opts.port ?? 0,
		silent: true,
		directory: opts.directory,
		configureBuckets: [{name: bucket}],
		resetOnClose: false,
	});
	checkPartsBeforeAssembly(server.store);
	server.middleware.unshift(async (ctx, next) => {
		const q = ctx.query;
		const signed = Boolean(ctx.headers.authorization) || 'X-Amz-Signature' in q || 'Signature' in q;
		if (!signed && ctx.method !== 'OPTIONS') {
			ctx.status = 403;
			ctx.type = 'application/xml';
			ctx.body = DENIED;
			return;
		}
		await next();
	});
	const address = await server.run();
	return {
		url: `http://${host}:${address.port}`,
		bucket,
		accessKeyId,
		secretAccessKey,
		close: () => server.close(),
	};
}

/**
 * s3rver assembles a multipart upload without looking at its parts: a part never uploaded crashes
 * the whole process (an unhandled stream error) and any ETag passes. Refuse first, as S3 does
 * (InvalidPart), unless every part is there with the ETag named.
 */
function checkPartsBeforeAssembly(store: FilesystemStore): void {
	const S3Error = require('@20minutes/s3rver/lib/models/error') as new (code: string, message: string) => Error;
	const assemble = store.putObjectMultipart.bind(store);
	store.putObjectMultipart = async (bucket, uploadId, parts) => {
		const dir = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
		for (const part of parts) {
			const md5 = await readFile(join(dir, `${part.number}.md5`), 'utf8').catch(() => null);
			if (md5 === null || md5.trim() !== part.etag) throw new S3Error('InvalidPart', `Part ${part.number} was not uploaded or its ETag does not match`);
		}
		return assemble(bucket, uploadId, parts);
	};
}
