// Shared by the current-protocol devnet tests: a devnet serving spec 30017 (real chain or a fixed
// hotkey set), CurrentClients for its hotkeys, raw signed requests, and store uploads through the routes.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {KeyringPair} from '@polkadot/keyring/types';
import {connectChain, type ChainClient} from '../../../source/chain/client.js';
import {StaticChainView} from '../../../source/devnet/chain-view.js';
import {startDevnet, type CurrentDevnet, type DevnetOptions} from '../../../source/devnet/devnet.js';
import type {CurrentSettingsInput} from '../../../source/devnet/current/settings.js';
import {send, type HttpResponse} from '../../../source/orchestrator/http.js';
import {canonicalJson, type PyJson} from '../../../source/orchestrator/canonical-json.js';
import {CurrentClient, type CurrentClientOptions} from '../../../source/orchestrator/current/client.js';
import {signCurrent, signedBodyText} from '../../../source/orchestrator/current/signing.js';
import type * as S from '../../../source/orchestrator/current/schemas.js';
import {putPresigned} from '../../../source/orchestrator/transfer.js';
import {newMnemonic, pairFromMnemonic} from '../../../source/wallet/keys.js';
import {newPair} from '../helpers.js';

export type CurrentEnv = {devnet: CurrentDevnet; pairs: KeyringPair[]; outsider: KeyringPair; chain?: ChainClient; dir: string; close(): Promise<void>};

/** Small, quick settings: one backward before merging, generous rate limits, 2 chunks per layer. */
export const CURRENT_TEST_SETTINGS: CurrentSettingsInput = {
	batches_before_merging: 1,
	num_partitions: 2,
	rate_limit_per_s: 50,
	rate_limit_high_per_s: 100,
	metagraph_ttl_s: 2,
	queue_poll_after_s: 0.05,
	spot_check_rate: 0,
};

/** The real chain, unless IOTA_CURRENT_STATIC=1 swaps in a fixed hotkey set (a quick local run of the same tests). */
export const realChain = (): boolean => process.env.IOTA_CURRENT_STATIC !== '1';

/** A current-protocol devnet; `chain: true` starts the real chain and registers `hotkeys` fresh hotkeys on subnet 9. */
export async function startCurrentEnv(o: {hotkeys: number; chain: boolean; settings?: CurrentSettingsInput; validator?: DevnetOptions['validator']}): Promise<CurrentEnv> {
	const dir = mkdtempSync(join(tmpdir(), 'iota-current-'));
	const settings = {...CURRENT_TEST_SETTINGS, ...o.settings};
	const outsider = await newPair();
	if (!o.chain) {
		const pairs = await Promise.all(Array.from({length: o.hotkeys}, () => newPair()));
		const devnet = await startDevnet({protocol: 'current', dataDir: dir, chainView: new StaticChainView(new Set(pairs.map(p => p.address))), currentSettings: settings});
		return {devnet, pairs, outsider, dir, close: async () => (await devnet.close(), rmSync(dir, {recursive: true, force: true}))};
	}
	const devnet = await startDevnet({protocol: 'current', dataDir: dir, currentSettings: settings, validator: o.validator});
	const chain = await connectChain(devnet.chain);
	const pairs: KeyringPair[] = [];
	try {
		for (let i = 0; i < o.hotkeys; i++) {
			const coldkey = await pairFromMnemonic(newMnemonic());
			const hotkey = await pairFromMnemonic(newMnemonic());
			await chain.fundFromFaucet(coldkey.address);
			await chain.burnedRegister(coldkey, hotkey.address, devnet.netuid);
			pairs.push(hotkey);
		}
	} catch (error) {
		await chain.close();
		await devnet.close();
		throw error;
	}
	return {
		devnet,
		pairs,
		outsider,
		chain,
		dir,
		async close() {
			await chain.close();
			await devnet.close();
			rmSync(dir, {recursive: true, force: true});
		},
	};
}

export const clientFor = (url: string, signer: KeyringPair, o: Partial<CurrentClientOptions> = {}) =>
	new CurrentClient({baseUrl: url, signer, rateLimitBackoffMs: 10, errorBackoffMs: 10, timeoutMs: 15_000, ...o});

/** One raw request with spec-30017 headers (overridable), for the refusals the client never provokes. */
export async function rawSigned(
	url: string,
	signer: KeyringPair,
	method: 'GET' | 'POST',
	path: string,
	o: {body?: PyJson; wire?: string; headers?: Record<string, string>; sign?: Parameters<typeof signCurrent>[2]} = {},
): Promise<HttpResponse & {json: unknown}> {
	const wire = o.wire ?? (o.body === undefined ? undefined : canonicalJson(o.body));
	const headers: Record<string, string> = {...signCurrent(signer, signedBodyText(o.body), o.sign), ...(wire === undefined ? {} : {'Content-Type': 'application/json'}), ...o.headers};
	for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
	const res = await send(`${url}${path}`, {method, headers, body: wire, timeoutMs: 15_000});
	let json: unknown = null;
	try {
		json = JSON.parse(res.text);
	} catch {
		// not JSON
	}
	return {...res, json};
}

export const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({length: n}, (_, i) => (i * 31 + seed * 17) % 256);

/** Uploads `data` as `fileType` through initiate_file_upload, the presigned part URLs and complete (Python's unquoted ETags). */
export async function uploadBlob(c: CurrentClient, fileType: S.FileUploadRequest['file_type'], data: Uint8Array, parts = 1): Promise<string> {
	const init = await c.initiateFileUpload({num_parts: parts, file_type: fileType, multipart: true});
	const size = Math.ceil(data.length / parts);
	const done = [];
	for (let i = 0; i < parts; i++) {
		const etag = await putPresigned(init.urls[i]!, data.subarray(i * size, Math.min(data.length, (i + 1) * size)));
		done.push({PartNumber: i + 1, ETag: etag.replace(/"/g, '')});
	}
	return (await c.completeMultipartUpload({object_name: init.object_name, upload_id: init.upload_id, parts: done})).object_path;
}

/** Registers through the queue (no confirmation) and returns the response. */
export async function register(c: CurrentClient, nodeId = `node-${c.hotkey.slice(0, 8)}`): Promise<S.MinerRegistrationResponse> {
	const {registerMiner} = await import('../../../source/orchestrator/current/registration.js');
	return registerMiner({client: c, p2pNodeId: nodeId, maxAttempts: 1, minPollMs: 10, maxPollMs: 200});
}
