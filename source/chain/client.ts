// Subtensor client over @polkadot/api: balance, burn cost, burned registration, metagraph reads.
// Storage is read directly (works on spec 218 and current runtimes); items are feature-detected.
import {ApiPromise, WsProvider} from '@polkadot/api';
import type {KeyringPair} from '@polkadot/keyring/types';
import {UserError, errorMessage} from '../errors.js';
import {sendAndWait, DispatchFailure} from './tx.js';
import {FAUCET_DRIP, devnetKey} from './devnet-keys.js';

export type Neuron = {
	hotkey: string;
	netuid: number;
	registered: boolean;
	uid: number | null;
	coldkey: string | null;
	stake: string; // rao (alpha on dTAO runtimes), as a decimal string
	incentive: number | null; // 0..1
	emission: string | null; // rao per block
	trust: number | null;
	consensus: number | null;
	dividends: number | null;
	validatorPermit: boolean | null;
	active: boolean | null;
	lastUpdate: number | null;
	registeredAtBlock: number | null;
	axon: {ip: string; port: number; version: number; block: number} | null;
	block: number;
};

export type ChainClient = {
	api: ApiPromise;
	url: string;
	close(): Promise<void>;
	/** Called with false when the connection drops and true when it is back (it reconnects by itself). */
	onConnection(listener: (connected: boolean) => void): void;
	isDevnet(): Promise<boolean>;
	balance(address: string): Promise<bigint>;
	burn(netuid: number): Promise<bigint>;
	registrationOpen(netuid: number): Promise<boolean>;
	subnetExists(netuid: number): Promise<boolean>;
	fundFromFaucet(address: string, rao?: bigint): Promise<void>;
	/** On a devnet, tops the coldkey up from the faucet when it holds less than twice the burn. True if it did. */
	topUpForRegistration(address: string, netuid: number): Promise<boolean>;
	registrationFee(coldkey: KeyringPair, hotkey: string, netuid: number): Promise<bigint>;
	/** With maxBurn, the burn read just before signing must be at or under it, else BurnAboveCap and nothing is sent. */
	burnedRegister(coldkey: KeyringPair, hotkey: string, netuid: number, opts?: {maxBurn?: bigint}): Promise<RegisterResult>;
	getUid(netuid: number, hotkey: string): Promise<number | null>;
	hotkeys(netuid: number): Promise<string[]>;
	neuron(netuid: number, hotkey: string): Promise<Neuron>;
};

export type RegisterResult = {uid: number; alreadyRegistered: boolean; blockHash?: string; burn?: bigint; fee?: bigint | null};

/** The burn moved above the caller's cap between reading the window and signing: nothing was sent. */
export class BurnAboveCap extends Error {
	constructor(readonly burn: bigint, readonly cap: bigint) {
		super(`burn ${formatTao(burn)} above the cap ${formatTao(cap)}: not sent`);
	}
}

/** The fee the signer paid, from TransactionFeePaid (null on runtimes without that event). */
function feePaid(events: {event: {section: string; method: string; data: unknown[]}}[], who: string): bigint | null {
	const e = events.find(r => r.event.section === 'transactionPayment' && r.event.method === 'TransactionFeePaid' && String(r.event.data[0]) === who);
	return e ? BigInt(String(e.event.data[1])) : null;
}

/** After a drop the client reconnects every this many ms (a refused first connect still fails at once). */
const RECONNECT_MS = 2000;

/**
 * Reconnects after a drop, every RECONNECT_MS until connected or closed. Done here rather than with the
 * provider's own autoConnect, which logs every failed try to stderr (noise over an error line or a TUI).
 */
function keepConnected(provider: WsProvider): () => void {
	let timer: NodeJS.Timeout | null = null;
	let closed = false;
	const stop = () => {
		if (timer) clearInterval(timer);
		timer = null;
	};
	provider.on('connected', stop);
	provider.on('disconnected', () => {
		if (closed || timer) return;
		timer = setInterval(() => {
			if (!provider.isConnected) provider.connect().catch(() => {});
		}, RECONNECT_MS);
		timer.unref();
	});
	return () => {
		closed = true;
		stop();
	};
}

export async function connectChain(url: string, timeoutMs = 15_000): Promise<ChainClient> {
	const provider = new WsProvider(url, false);
	let api: ApiPromise;
	// A refused connection shows up only as an 'error' event: fail on the first one.
	let onError: () => void = () => {};
	const failed = new Promise<never>((_, reject) => {
		onError = () => reject(new Error('connection refused or closed'));
	});
	const off = provider.on('error', () => onError());
	try {
		await withTimeout(Promise.race([provider.connect().then(() => provider.isReady), failed]), timeoutMs);
		api = await withTimeout(Promise.race([ApiPromise.create({provider, noInitWarn: true, throwOnConnect: true}), failed]), timeoutMs);
		off();
	} catch (error) {
		off();
		await provider.disconnect().catch(() => {});
		throw new UserError(`cannot reach the chain at ${url} (${errorMessage(error)}): is it running? Start a local one with \`iota-tui chain\` or pick another --network`);
	}
	return makeClient(api, url, keepConnected(provider));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout;
	return Promise.race([
		promise.finally(() => clearTimeout(timer)),
		new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
		}),
	]);
}

const u16Float = (v: unknown) => Number(v) / 65535;

function vectorAt<T>(vec: {toArray?: () => unknown[]} | undefined, i: number, map: (v: unknown) => T): T | null {
	const arr = vec?.toArray?.();
	return arr && i < arr.length ? map(arr[i]) : null;
}

function makeClient(api: ApiPromise, url: string, stopReconnecting: () => void): ChainClient {
	const sm = () => api.query.subtensorModule;
	const q = (name: string) => sm()[name];

	const client: ChainClient = {
		api,
		url,
		async close() {
			stopReconnecting();
			await api.disconnect();
		},
		onConnection(listener) {
			api.on('disconnected', () => listener(false));
			api.on('connected', () => listener(true));
		},
		async isDevnet() {
			const methods = (await api.rpc.rpc.methods()).methods.map(m => m.toString());
			if (!methods.includes('dev_newBlock')) return false;
			return (await client.balance((await devnetKey('faucet')).address)) > 0n;
		},
		async balance(address) {
			const account = (await api.query.system.account(address)) as unknown as {data: {free: {toBigInt(): bigint}}};
			return account.data.free.toBigInt();
		},
		async burn(netuid) {
			return BigInt((await sm().burn(netuid)).toString());
		},
		async registrationOpen(netuid) {
			return (await sm().networkRegistrationAllowed(netuid)).toString() === 'true';
		},
		async subnetExists(netuid) {
			return (await sm().networksAdded(netuid)).toString() === 'true';
		},
		async fundFromFaucet(address, rao = FAUCET_DRIP) {
			if (!(await client.isDevnet())) throw new UserError(`${url} is not a local devnet: there is no faucet; fund the coldkey ${address} from another wallet`);
			const faucet = await devnetKey('faucet');
			await sendAndWait(api, api.tx.balances.transferKeepAlive(address, rao), faucet);
		},
		async topUpForRegistration(address, netuid) {
			if (!(await client.isDevnet())) return false;
			const [balance, burn] = await Promise.all([client.balance(address), client.burn(netuid)]);
			if (balance >= burn * 2n) return false;
			await client.fundFromFaucet(address);
			return true;
		},
		async registrationFee(coldkey, hotkey, netuid) {
			const info = await api.tx.subtensorModule.burnedRegister(netuid, hotkey).paymentInfo(coldkey);
			return info.partialFee.toBigInt();
		},
		async burnedRegister(coldkey, hotkey, netuid, opts = {}) {
			if (!(await client.subnetExists(netuid))) throw new UserError(`subnet ${netuid} does not exist on ${url}: check --netuid and --network`);
			const existing = await client.getUid(netuid, hotkey);
			if (existing !== null) return {uid: existing, alreadyRegistered: true};
			if (!(await client.registrationOpen(netuid))) throw new UserError(`registration on subnet ${netuid} is closed right now: try again later`);
			const [burn, balance, fee] = await Promise.all([client.burn(netuid), client.balance(coldkey.address), client.registrationFee(coldkey, hotkey, netuid)]);
			// Last read before signing: the runtime charges whatever Burn is at inclusion, so never send above the cap.
			if (opts.maxBurn !== undefined && burn > opts.maxBurn) throw new BurnAboveCap(burn, opts.maxBurn);
			if (balance < burn + fee) {
				throw new UserError(`insufficient balance: coldkey ${coldkey.address} has ${formatTao(balance)}, registration needs ${formatTao(burn)} burn + ${formatTao(fee)} fee: fund the coldkey and retry`);
			}
			try {
				const result = await sendAndWait(api, api.tx.subtensorModule.burnedRegister(netuid, hotkey), coldkey);
				const uid = await client.getUid(netuid, hotkey);
				if (uid === null) throw new UserError('the registration was included but the hotkey has no uid: the subnet may be full; check `iota-tui status`');
				return {uid, alreadyRegistered: false, blockHash: result.blockHash, burn, fee: feePaid(result.events as never, coldkey.address)};
			} catch (error) {
				if (error instanceof DispatchFailure) {
					if (error.name === 'HotKeyAlreadyRegisteredInSubNet') {
						const uid = await client.getUid(netuid, hotkey);
						if (uid !== null) return {uid, alreadyRegistered: true};
					}
					throw new UserError(`registration failed on chain: ${error.message}`);
				}
				if (error instanceof UserError) throw error;
				// Subtensor's signed extension refuses at the pool once the interval holds 3x the target (Custom 5).
				if (/"custom"\s*:\s*5\b|Custom error: 5\b/i.test(errorMessage(error))) {
					throw new UserError(`registration refused: too many registrations this interval on subnet ${netuid} (3x the target): wait for the interval to reset (\`iota-tui register --watch\` shows when)`);
				}
				throw new UserError(`registration failed: ${errorMessage(error)}`);
			}
		},
		async getUid(netuid, hotkey) {
			const uid = (await sm().uids(netuid, hotkey)) as unknown as {isSome: boolean; unwrap(): {toNumber(): number}};
			return uid.isSome ? uid.unwrap().toNumber() : null;
		},
		async hotkeys(netuid) {
			const entries = await sm().keys.entries(netuid);
			const out: string[] = [];
			for (const [key, value] of entries) out[Number(key.args[1]!.toString())] = value.toString();
			return out;
		},
		async neuron(netuid, hotkey) {
			const header = await api.rpc.chain.getHeader();
			const block = header.number.toNumber();
			const uid = await client.getUid(netuid, hotkey);
			const base: Neuron = {
				hotkey, netuid, registered: uid !== null, uid, coldkey: null, stake: '0', incentive: null, emission: null, trust: null,
				consensus: null, dividends: null, validatorPermit: null, active: null, lastUpdate: null, registeredAtBlock: null, axon: null, block,
			};
			if (uid === null) return base;
			const read = async (name: string, ...args: unknown[]) => (q(name) ? q(name)!(...args) : undefined) as Promise<{toArray?: () => unknown[]; toString(): string} | undefined>;
			const [owner, stake, incentive, emission, trust, consensus, dividends, permit, active, lastUpdate, regBlock, axon] = await Promise.all([
				read('owner', hotkey), read('totalHotkeyAlpha', hotkey, netuid), read('incentive', netuid), read('emission', netuid),
				read('trust', netuid), read('consensus', netuid), read('dividends', netuid), read('validatorPermit', netuid),
				read('active', netuid), read('lastUpdate', netuid), read('blockAtRegistration', netuid, uid), read('axons', netuid, hotkey),
			]);
			const axonJson = axon && (axon as unknown as {isSome?: boolean}).isSome ? ((axon as unknown as {unwrap(): {toJSON(): Record<string, number>}}).unwrap().toJSON()) : null;
			return {
				...base,
				coldkey: owner?.toString() ?? null,
				stake: stake?.toString() ?? '0',
				incentive: vectorAt(incentive, uid, u16Float),
				emission: vectorAt(emission, uid, v => String(v)),
				trust: vectorAt(trust, uid, u16Float),
				consensus: vectorAt(consensus, uid, u16Float),
				dividends: vectorAt(dividends, uid, u16Float),
				validatorPermit: vectorAt(permit, uid, v => String(v) === 'true'),
				active: vectorAt(active, uid, v => String(v) === 'true'),
				lastUpdate: vectorAt(lastUpdate, uid, v => Number(String(v))),
				registeredAtBlock: regBlock ? Number(regBlock.toString()) : null,
				axon: axonJson && Number(axonJson.ip) !== 0 ? {ip: ipv4(Number(axonJson.ip)), port: axonJson.port!, version: axonJson.version!, block: axonJson.block!} : null,
			};
		},
	};
	return client;
}

const ipv4 = (n: number) => [24, 16, 8, 0].map(s => (n >>> s) & 255).join('.');

export function formatTao(rao: bigint): string {
	const whole = rao / 1_000_000_000n;
	const frac = (rao % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
	return `τ${whole}${frac ? `.${frac}` : ''}`;
}
