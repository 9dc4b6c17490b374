// Shared by the hostile-input tests: a devnet with three miners (one per layer), raw signed
// requests that bypass the client's own checks, and small publish helpers.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {KeyringPair} from '@polkadot/keyring/types';
import {startDevnet, type Devnet} from '../../source/devnet/devnet.js';
import {StaticChainView} from '../../source/devnet/chain-view.js';
import {canonicalJson} from '../../source/orchestrator/canonical-json.js';
import {EMPTY_BODY, signRequest} from '../../source/orchestrator/epistula.js';
import {parsePyJson} from '../../source/orchestrator/py-json-parse.js';
import type {OrchestratorClient} from '../../source/orchestrator/client.js';
import {uploadObject} from '../../source/orchestrator/transfer.js';
import {send, type Outcome} from '../../fuzz/http.js';
import {activationKey, bytes, clientFor, newPair, TEST_SETTINGS} from './helpers.js';

export interface HostileEnv {
	devnet: Devnet;
	/** miners[L] is the miner on layer L. */
	miners: KeyringPair[];
	clients: OrchestratorClient[];
	close(): Promise<void>;
}

export async function startHostileEnv(): Promise<HostileEnv> {
	const dir = mkdtempSync(join(tmpdir(), 'iota-hostile-'));
	const pairs = await Promise.all([0, 1, 2].map(() => newPair()));
	const devnet = await startDevnet({dataDir: dir, chainView: new StaticChainView(new Set(pairs.map(p => p.address))), settings: {...TEST_SETTINGS, batches_before_merging: 1000, rate_limit_per_s: 1000}});
	const byLayer: KeyringPair[] = [];
	for (const p of pairs) byLayer[(await clientFor(devnet.orchestrator, p).register()).layer] = p;
	const clients = byLayer.map(p => {
		const c = clientFor(devnet.orchestrator, p, 1);
		c.orchestratorVersion = devnet.settings.version;
		return c;
	});
	return {devnet, miners: byLayer, clients, close: async () => {
		await devnet.close();
		rmSync(dir, {recursive: true, force: true});
	}};
}

/** A request signed by `pair` over the body's canonical form (what the server verifies). */
export function signedSend(env: HostileEnv, pair: KeyringPair, method: string, path: string, body?: string): Promise<Outcome> {
	let text = EMPTY_BODY;
	if (body !== undefined) {
		try {
			text = canonicalJson(parsePyJson(body));
		} catch {
			text = body;
		}
	}
	const headers = {'X-Spec-Version': '4065', 'X-Orchestrator-Version': env.devnet.settings.version, 'Content-Type': 'application/json', ...signRequest(pair, text)};
	return send(env.devnet.orchestrator, {method, path, headers, body});
}

/** Uploads an object for `uid` on the client's layer and returns its key (nothing published). */
export const upload = (c: OrchestratorClient, uid: string, layer: number, dir: string) => uploadObject(c, activationKey(uid, layer, dir), bytes(256, layer + 1));

export const statusOf = (o: Outcome): number | string => (o.kind === 'answer' ? o.status : o.kind);
