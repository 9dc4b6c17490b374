// The fuzzer's real orchestrator: a devnet host process on 127.0.0.1 (fuzz/orchestrator-host.ts)
// with three miners registered one per layer and real work in flight (samples handed out,
// forwarded, a loss reported), plus the signing helpers the hostile cases build on.
import {spawn, type ChildProcess} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {join} from 'node:path';
import {Keyring} from '@polkadot/keyring';
import type {KeyringPair} from '@polkadot/keyring/types';
import {cryptoWaitReady} from '@polkadot/util-crypto';
import {canonicalJson} from '../source/orchestrator/canonical-json.js';
import {EMPTY_BODY, signRequest} from '../source/orchestrator/epistula.js';
import {OrchestratorClient} from '../source/orchestrator/client.js';
import {parsePyJson} from '../source/orchestrator/py-json-parse.js';
import {SPEC_VERSION} from '../source/orchestrator/schemas.js';
import {uploadObject} from '../source/orchestrator/transfer.js';

export interface Host {
	url: string;
	version: string;
	exited(): boolean;
	/** Lines the orchestrator logged about an internal error (a handler threw, a tick failed). */
	internalErrors(): string[];
	stop(): Promise<void>;
}

/** What the orchestrators log when a handler throws (`orchestrator: GET /route: ...`) or a tick fails. */
const INTERNAL_ERROR = /^orchestrator: ((GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) \/|tick: )|unhandled|uncaught/i;

/** Starts the host process on `dataDir` (state survives a restart on the same folder); `protocol` picks the orchestrator (v1 by default). */
export async function startHost(dataDir: string, hotkeys: string[], log: (line: string) => void, o: {protocol?: 'v1' | 'current'} = {}): Promise<Host> {
	const arg = JSON.stringify({dataDir, hotkeys, protocol: o.protocol ?? 'v1'});
	const child: ChildProcess = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, 'orchestrator-host.ts'), arg], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let exited = false;
	let tail = '';
	let partial = '';
	const internal: string[] = [];
	child.stderr!.on('data', (d: Buffer) => {
		tail = (tail + d.toString()).slice(-2000);
		const lines = (partial + d.toString()).split('\n');
		partial = lines.pop()!;
		for (const l of lines) if (INTERNAL_ERROR.test(l) && internal.length < 100) internal.push(l);
	});
	child.on('exit', () => (exited = true));
	const line = await new Promise<string>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('fuzz host did not start within 60 s')), 60_000);
		let out = '';
		child.stdout!.on('data', (d: Buffer) => {
			out += d.toString();
			if (out.includes('\n')) {
				clearTimeout(timer);
				resolve(out.split('\n')[0]!);
			}
		});
		child.on('exit', code => {
			clearTimeout(timer);
			reject(new Error(`fuzz host exited (${code}) before starting: ${tail.trim().split('\n').pop()}`));
		});
	});
	const {orchestrator, version} = JSON.parse(line) as {orchestrator: string; version: string};
	return {
		url: orchestrator,
		version,
		exited: () => exited,
		internalErrors: () => internal,
		async stop() {
			if (exited) return;
			const gone = new Promise(r => child.once('exit', r));
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
			await gone;
			clearTimeout(timer);
			if (tail.includes('Error')) log(`fuzz host stderr: ${tail.trim().split('\n').slice(-3).join(' | ')}`);
		},
	};
}

export interface Fixture {
	host: Host;
	/** miners[L] is the miner on layer L. */
	miners: KeyringPair[];
	/** Registered on the subnet, never registered with the orchestrator. */
	idle: KeyringPair;
	/** Not in the metagraph. */
	outsider: KeyringPair;
	/** S1: on layer 1, held by miners[1]. S2: queued for layer 1, not handed out. S3: done at the tail, loss reported. */
	samples: {s1: string; s2: string; s3: string};
	/** Objects already in the store, by name (activation keys the hostile publishes point at). */
	keys: Record<string, string>;
}

export async function keyPairs(): Promise<{all: KeyringPair[]; idle: KeyringPair; outsider: KeyringPair}> {
	await cryptoWaitReady();
	const ring = new Keyring({type: 'sr25519', ss58Format: 42});
	const all = [0, 1, 2].map(i => ring.addFromUri(`//fuzz-miner-${i}`));
	return {all, idle: ring.addFromUri('//fuzz-registered'), outsider: ring.addFromUri('//fuzz-outsider')};
}

const client = (host: Host, pair: KeyringPair) => new OrchestratorClient({url: host.url, signer: pair, attempts: 1, timeoutMs: 15_000, orchestratorVersion: host.version});
const blob = new Uint8Array(256).fill(7);

/** Registers the miners and puts real work in flight, all through the public API. */
export async function setUp(host: Host, pairs: Awaited<ReturnType<typeof keyPairs>>): Promise<Fixture> {
	const layers: number[] = [];
	for (const p of pairs.all) layers.push((await client(host, p).register()).layer);
	const miners = [0, 1, 2].map(l => pairs.all[layers.indexOf(l)]!);
	const [c0, c1, c2] = miners.map(m => client(host, m)) as [OrchestratorClient, OrchestratorClient, OrchestratorClient];
	const keys: Record<string, string> = {};
	const put = async (c: OrchestratorClient, name: string, uid: string, layer: number, dir: string) => {
		keys[name] = await uploadObject(c, `activations/${uid}/${layer}/${dir}/${randomUUID()}.bin`, blob);
		return keys[name]!;
	};
	const publish = async (c: OrchestratorClient, name: string, uid: string, layer: number, dir: 'initial' | 'forward' | 'backward') =>
		c.updateStatus(dir, uid, await put(c, name, uid, layer, dir));
	const [s1, s2, s3] = [randomUUID(), randomUUID(), randomUUID()];
	for (const s of [s1, s3]) {
		await publish(c0, `${s}-initial`, s, 0, 'initial');
		await publish(c0, `${s}-forward`, s, 0, 'forward');
	}
	if ((await c1.randomActivation()).activation_uid !== s1) throw new Error('fuzz fixture: layer 1 did not get the first sample');
	if ((await c1.randomActivation()).activation_uid !== s3) throw new Error('fuzz fixture: layer 1 did not get the second sample');
	await publish(c1, 's3-forward-1', s3, 1, 'forward');
	if ((await c2.randomActivation()).activation_uid !== s3) throw new Error('fuzz fixture: the tail did not get the sample');
	await publish(c2, 's3-backward-2', s3, 2, 'backward');
	await c2.reportLoss(s3, 2.5);
	await publish(c0, 's2-forward', s2, 0, 'forward');
	// Objects for hostile publishes: each is real, only the publish is wrong.
	await put(c0, 'new-forward-0', randomUUID(), 0, 'forward');
	await put(c0, 's1-forward-again', s1, 0, 'forward');
	await put(c0, 's1-initial-again', s1, 0, 'initial');
	await put(c0, 's2-forward-again', s2, 0, 'forward');
	await put(c0, 's3-initial-again', s3, 0, 'initial');
	await put(c0, 's1-backward-0', s1, 0, 'backward');
	await put(c1, 's2-forward-1', s2, 1, 'forward');
	await put(c1, 's1-backward-1', s1, 1, 'backward');
	await put(c2, 's1-backward-2', s1, 2, 'backward');
	await put(c2, 's3-backward-again', s3, 2, 'backward');
	return {host, miners, idle: pairs.idle, outsider: pairs.outsider, samples: {s1, s2, s3}, keys};
}

/** The text a server signs for `body`: its canonical form when it parses, else the text itself. */
export function signedText(body: string | undefined): string {
	if (body === undefined || body.trim() === '') return EMPTY_BODY;
	try {
		return canonicalJson(parsePyJson(body));
	} catch {
		return body;
	}
}

/** Version and Epistula headers for `body`, signed by `pair` (with overrides for hostile cases). */
export function signedHeaders(fx: Fixture, pair: KeyringPair, body: string | undefined, o: {timestampMs?: number; uuid?: string; signText?: string} = {}): Record<string, string> {
	const h: Record<string, string> = {
		'X-Spec-Version': String(SPEC_VERSION),
		'X-Orchestrator-Version': fx.host.version,
		...signRequest(pair, o.signText ?? signedText(body), o),
	};
	if (body !== undefined) h['Content-Type'] = 'application/json';
	return h;
}
