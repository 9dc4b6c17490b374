// Finds the raw Subtensor chain spec: --chain-spec, then IOTA_CHAIN_SPEC, then ../shared/chain/.
import {existsSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {resolve} from 'node:path';
import {packageRoot} from '../paths.js';
import {UserError} from '../errors.js';

const SPEC_NAME = 'subtensor-raonet.json';


export function specCandidates(flag?: string, env = process.env.IOTA_CHAIN_SPEC): string[] {
	if (flag) return [resolve(flag)];
	if (env) return [resolve(env)];
	const fallbacks = [resolve(process.cwd(), '..', 'shared', 'chain', SPEC_NAME), resolve(packageRoot(), '..', 'shared', 'chain', SPEC_NAME)];
	return [...new Set(fallbacks)];
}

export function findChainSpec(flag?: string, env = process.env.IOTA_CHAIN_SPEC): string {
	const tried = specCandidates(flag, env);
	const found = tried.find(path => existsSync(path));
	if (!found) {
		const source = flag ? '--chain-spec' : env ? 'IOTA_CHAIN_SPEC' : 'the default location';
		throw new UserError(`no chain spec found (from ${source}; tried ${tried.join(', ')}): pass --chain-spec FILE or set IOTA_CHAIN_SPEC to a raw Subtensor chain spec`);
	}
	return found;
}

export type RawGenesis = {name?: string; id?: string; genesis: {raw: {top: Record<string, string>}}};

export async function readChainSpec(path: string): Promise<RawGenesis> {
	let spec: RawGenesis;
	try {
		spec = JSON.parse(await readFile(path, 'utf8')) as RawGenesis;
	} catch (error) {
		throw new UserError(`${path} is not a readable JSON chain spec: ${(error as Error).message}`);
	}
	if (!spec?.genesis?.raw?.top?.['0x3a636f6465']) {
		throw new UserError(`${path} is not a raw chain spec with a runtime (genesis.raw.top[":code"] is missing)`);
	}
	return spec;
}

// Timestamp.Now in genesis: without it chopsticks reads the clock twice for block #1 and
// sometimes straddles an Aura slot ("Timestamp slot must match CurrentSlot").
export const TIMESTAMP_NOW_KEY = '0xf0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb';

export function withTimestamp(spec: RawGenesis, nowMs = Date.now()): RawGenesis {
	const le = Buffer.alloc(8);
	le.writeBigUInt64LE(BigInt(nowMs));
	return {...spec, genesis: {raw: {...spec.genesis.raw, top: {...spec.genesis.raw.top, [TIMESTAMP_NOW_KEY]: `0x${le.toString('hex')}`}}}};
}
