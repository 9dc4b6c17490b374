// startMiner, the miner's entry point for the CLI, the devnet's autostart and the tests: a
// MinerSession over the protocol the options pick: IOTA v1 (the default) or the current one (spec 30017).
import {UserError} from '../errors.js';
import {getConfig} from '../training/config.js';
import {byteSampleTokenizer} from '../training/data.js';
import {createCurrentProtocol} from './current/adapter.js';
import type {MinerHandle, MinerOptions} from './options.js';
import type {MinerProtocol, ProtocolHost} from './protocol.js';
import {MinerSession} from './session.js';
import {createV1Protocol} from './v1/adapter.js';

export type {MinerHandle, MinerOptions, MinerStats} from './options.js';

const protocols: Record<NonNullable<MinerOptions['protocol']>, (host: ProtocolHost, opts: MinerOptions) => MinerProtocol> = {
	v1: (host, opts) => createV1Protocol(host, {url: opts.orchestratorUrl, signer: opts.hotkeyPair, attempts: opts.clientAttempts, backoffMs: opts.clientBackoffMs, storeHosts: opts.storeHosts}),
	current: (host, opts) =>
		createCurrentProtocol(host, {
			url: opts.orchestratorUrl,
			signer: opts.hotkeyPair,
			model: typeof opts.model === 'object' ? opts.model : getConfig(opts.model ?? 'devnet'),
			tokenizer: opts.tokenizer ?? byteSampleTokenizer,
			bridgeUrl: opts.bridgeUrl,
			devnetOnly: opts.devnetOnly,
			p2p: opts.p2p,
			attempts: opts.clientAttempts,
			backoffMs: opts.clientBackoffMs,
			storeHosts: opts.storeHosts,
		}),
};

export async function startMiner(opts: MinerOptions): Promise<MinerHandle> {
	const protocol = protocols[opts.protocol ?? 'v1'];
	if (!protocol) throw new UserError(`unknown miner protocol "${String(opts.protocol)}" (known: ${Object.keys(protocols).join(', ')})`);
	// v1 needs GET /orchestrator/settings, which only the iota-tui devnet serves: never call it elsewhere.
	if ((opts.protocol ?? 'v1') === 'v1' && opts.devnetOnly === false) {
		throw new UserError('the v1 protocol (spec 4065) is served only by the iota-tui devnet now; IOTA\'s orchestrators speak the current one: use --protocol current (or leave --protocol out)', 2);
	}
	return new MinerSession(opts, host => protocol(host, opts)).handle();
}
