// The current-protocol fuzzer's real orchestrator: a devnet host (protocol 'current') with three
// miners registered through the queue, one per layer, and real work in flight (activations handed
// out and submitted, a loss reported, finished and open uploads), plus spec-30017 request signing.
import type {KeyringPair} from '@polkadot/keyring/types';
import {Keyring} from '@polkadot/keyring';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {canonicalJson} from '../source/orchestrator/canonical-json.js';
import {parsePyJson} from '../source/orchestrator/py-json-parse.js';
import {CurrentClient} from '../source/orchestrator/current/client.js';
import {registerMiner} from '../source/orchestrator/current/registration.js';
import {stringToU8a, u8aToHex} from '@polkadot/util';
import {signCurrent, signedBodyText, signedMessage} from '../source/orchestrator/current/signing.js';
import {putPresigned} from '../source/orchestrator/transfer.js';
import type {Host} from './orchestrator-fixture.js';

export interface CurrentPairs {
	all: KeyringPair[];
	/** In the metagraph, never registered with the orchestrator. */
	idle: KeyringPair;
	/** Not in the metagraph. */
	outsider: KeyringPair;
}

export interface CurrentFixture {
	host: Host;
	/** miners[L] is the miner on layer L (the last one reports losses). */
	miners: KeyringPair[];
	idle: KeyringPair;
	outsider: KeyringPair;
	/** Handed to miners[0]: `submitted` has its forward in, `open` has not; `lossed` has its loss reported. */
	activations: {submitted: string; open: string};
	/** Finished uploads by owner: miners[0]'s activation, miners[1]'s weights and partition. */
	objects: {activation0: string; weights1: string; partition1: string};
	/** A multipart upload miners[1] opened and never completed. */
	openUpload: {object_name: string; upload_id: string};
	/** miners[1]'s registration queue entry. */
	queueId1: string;
}

export async function currentPairs(): Promise<CurrentPairs> {
	await cryptoWaitReady();
	const ring = new Keyring({type: 'sr25519', ss58Format: 42});
	const all = [0, 1, 2].map(i => ring.addFromUri(`//fuzz-current-miner-${i}`));
	return {all, idle: ring.addFromUri('//fuzz-current-registered'), outsider: ring.addFromUri('//fuzz-current-outsider')};
}

export const currentClient = (host: Host, pair: KeyringPair) => new CurrentClient({baseUrl: host.url, signer: pair, attempts: 1, timeoutMs: 15_000});

async function upload(c: CurrentClient, fileType: 'weights' | 'activation' | 'partition'): Promise<string> {
	const init = await c.initiateFileUpload({num_parts: 1, file_type: fileType, multipart: true});
	const etag = await putPresigned(init.urls[0]!, new Uint8Array(256).fill(7));
	return (await c.completeMultipartUpload({object_name: init.object_name, upload_id: init.upload_id, parts: [{PartNumber: 1, ETag: etag.replace(/"/g, '')}]})).object_path;
}

/** Registers the miners through the queue and puts real work in flight, all through the public API. */
export async function setUpCurrent(host: Host, pairs: CurrentPairs): Promise<CurrentFixture> {
	const layers: number[] = [];
	const queueIds: string[] = [];
	for (const p of pairs.all) {
		let queueId: string | undefined;
		const reg = await registerMiner({client: currentClient(host, p), p2pNodeId: `fuzz-${p.address.slice(0, 8)}`, maxAttempts: 1, minPollMs: 10, maxPollMs: 200, onQueueState: q => (queueId ??= q.queue_id)});
		layers.push(reg.layer);
		queueIds.push(queueId ?? 'no-queue-id');
	}
	if ([...layers].sort().join() !== '0,1,2') throw new Error(`fuzz fixture: miners landed on layers ${layers.join(', ')}, not one per layer`);
	const miners = [0, 1, 2].map(l => pairs.all[layers.indexOf(l)]!);
	const [c0, c1, c2] = miners.map(m => currentClient(host, m)) as [CurrentClient, CurrentClient, CurrentClient];
	const handed = await c0.getActivations(2);
	const [submitted, open] = handed.map(a => a.activation_id!) as [string, string];
	await c0.submitActivation({direction: 'forward', activation_id: submitted, activation_path: null, output_activation_hash: 'ab'.repeat(32)});
	await c2.reportLoss({activation_id: submitted, loss: 2.5});
	const objects = {activation0: await upload(c0, 'activation'), weights1: await upload(c1, 'weights'), partition1: await upload(c1, 'partition')};
	const init = await c1.initiateFileUpload({num_parts: 1, file_type: 'weights', multipart: true});
	const queueId1 = queueIds[layers.indexOf(1)]!;
	return {host, miners, idle: pairs.idle, outsider: pairs.outsider, activations: {submitted, open}, objects, openUpload: {object_name: init.object_name, upload_id: init.upload_id!}, queueId1};
}

/** The text a server signs for `body`: signedBodyText of what it parses, else the text itself. */
export function currentSignedText(body: string | undefined): string {
	if (body === undefined || body.trim() === '') return signedBodyText(undefined);
	try {
		return signedBodyText(parsePyJson(body));
	} catch {
		return body;
	}
}

/** Spec-30017 headers for `body`, signed by `pair` (with overrides for hostile cases). */
export function currentHeaders(pair: KeyringPair, body: string | undefined, o: {timestampMs?: number; requestId?: string; signText?: string} = {}): Record<string, string> {
	const h: Record<string, string> = {...signCurrent(pair, o.signText ?? currentSignedText(body), o)};
	if (body !== undefined) h['Content-Type'] = 'application/json';
	return h;
}

/** Headers signed over `timestamp` exactly as written (signCurrent writes a rounded number). */
export function signedAt(pair: KeyringPair, body: string | undefined, timestamp: string): Record<string, string> {
	const signature = u8aToHex(pair.sign(stringToU8a(signedMessage(currentSignedText(body), timestamp))));
	return {...currentHeaders(pair, body), 'Epistula-Timestamp': timestamp, 'Epistula-Request-Signature': signature};
}

export const wire = (value: unknown): string | undefined => (value === undefined ? undefined : canonicalJson(value as Parameters<typeof canonicalJson>[0]));
