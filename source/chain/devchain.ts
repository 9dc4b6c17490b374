// The local devnet chain: the real Subtensor runtime (spec 218) run by chopsticks, with subnet 9
// created and tuned for short devnet cycles, a sudo key and a faucet the devnet controls.
import {ApiPromise, WsProvider} from '@polkadot/api';
import {UserError, errorMessage} from '../errors.js';
import {findChainSpec, readChainSpec, withTimestamp} from './spec.js';
import {DEVNET_NETUID, TAO, VALIDATOR_ROOT_STAKE, devnetKey} from './devnet-keys.js';
import {sendAndWait} from './tx.js';
import {installYumaHook, type YumaHookStats} from './yuma-hook.js';
import {applyRegistrationGame, hasRegistrationGame, type RegistrationGame} from './devchain-registration.js';

export type DevChainOptions = {
	port?: number;
	host?: string;
	specPath?: string;
	blockIntervalMs?: number; // build an empty block this often so chain time moves (0 = only on transactions)
	tempo?: number;
	log?: (line: string) => void;
	/** Recompute Yuma vectors on each head from the on-chain weights (the runtime's epoch is a mock). Default true. */
	emulateYuma?: boolean;
	/** Registration limits, burn bounds and size for subnet 9 (unset: the devnet's roomy defaults). */
	registration?: RegistrationGame;
};

export type DevChain = {url: string; netuid: number; yuma?: YumaHookStats; close(): Promise<void>};

const FAKE_NETUIDS = [2, 3, 4, 5, 6, 7, 8];
// Per-netuid maps that registerNetwork writes for every netuid it sees; cleared for the fakes.
const PER_NETUID_MAPS = ['SubnetTAO', 'SubnetAlphaIn', 'SubnetAlphaOut', 'EmissionValues', 'PendingEmission', 'BlocksSinceLastStep',
	'LastMechansimStepBlock', 'RegistrationsThisBlock', 'StakeWeight', 'Active', 'Rank', 'Trust', 'Consensus', 'Incentive',
	'Dividends', 'Emission', 'ValidatorTrust', 'PruningScores', 'ValidatorPermit'];

type Chopsticks = typeof import('@acala-network/chopsticks');

async function loadChopsticks(): Promise<Chopsticks> {
	process.env.LOG_LEVEL ??= 'error'; // chopsticks reads it once, at import
	return import('@acala-network/chopsticks');
}

let running = 0; // chains in this process share chopsticks' wasm executor thread

export async function startDevChain(opts: DevChainOptions = {}): Promise<DevChain> {
	const log = opts.log ?? (() => {});
	const specPath = findChainSpec(opts.specPath);
	const spec = withTimestamp(await readChainSpec(specPath));
	const sudo = await devnetKey('sudo');
	const faucet = await devnetKey('faucet');
	const owner = await devnetKey('ownerHotkey');
	const {setupWithServer, destroyWorker} = await loadChopsticks();
	log(`starting Subtensor runtime from ${specPath}`);
	let server: Awaited<ReturnType<Chopsticks['setupWithServer']>>;
	try {
		server = await setupWithServer({
			genesis: spec as never,
			host: opts.host ?? '127.0.0.1',
			port: opts.port ?? 0,
			'build-block-mode': 'Instant' as never,
			'runtime-log-level': 0,
			'import-storage': {
				Sudo: {Key: sudo.address},
				System: {Account: [[[faucet.address], {providers: 1, data: {free: (1_000_000n * TAO).toString()}}]]},
				SubtensorModule: {
					NetworkRateLimit: '0x0000000000000000',
					NetworksAdded: FAKE_NETUIDS.map(n => [[n], true]),
				},
			},
		} as never);
	} catch (error) {
		const message = errorMessage(error);
		if (/EADDRINUSE/.test(message)) throw new UserError(`port ${opts.port} is already in use: stop what runs there or pick another --port`);
		throw new UserError(`the local chain did not start: ${message}`);
	}
	running++;
	// Installed before any client connects, so every head is rewritten before RPC subscribers see it.
	const hook = opts.emulateYuma === false ? undefined : installYumaHook(server.chain.headState as never, DEVNET_NETUID, log);
	const url = `ws://${server.addr}`;
	const provider = new WsProvider(url);
	const api = await ApiPromise.create({provider, noInitWarn: true});
	try {
		await createSubnet9(api, provider, sudo, owner.address, opts.tempo ?? 10);
		await registerValidator(api, faucet);
		if (hasRegistrationGame(opts.registration)) {
			for (const call of await applyRegistrationGame(api, sudo, DEVNET_NETUID, opts.registration)) log(`adminUtils.${call}`);
		}
	} catch (error) {
		await api.disconnect();
		await server.close();
		if (--running === 0) await destroyWorker();
		throw new UserError(`the local chain started but subnet ${DEVNET_NETUID} could not be created: ${errorMessage(error)}`);
	}
	await api.disconnect();
	log(`subnet ${DEVNET_NETUID} ready`);

	let timer: NodeJS.Timeout | undefined;
	if (opts.blockIntervalMs && opts.blockIntervalMs > 0) {
		timer = setInterval(() => {
			server.chain.newBlock().catch(error => log(`block build failed: ${errorMessage(error)}`));
		}, opts.blockIntervalMs);
		timer.unref();
	}
	return {
		url,
		netuid: DEVNET_NETUID,
		yuma: hook?.stats,
		async close() {
			hook?.uninstall();
			if (timer) clearInterval(timer);
			await server.close();
			if (--running === 0) await destroyWorker(); // the executor thread would keep the process alive
		},
	};
}

async function createSubnet9(api: ApiPromise, provider: WsProvider, sudo: Awaited<ReturnType<typeof devnetKey>>, ownerHotkey: string, tempo: number) {
	const sm = api.tx.subtensorModule;
	// Spec 218 takes (hotkey, mechid); newer runtimes take (hotkey). Detect from metadata.
	const registerNetwork = sm.registerNetwork.meta.args.length === 2 ? sm.registerNetwork(ownerHotkey, 1) : sm.registerNetwork(ownerHotkey);
	const result = await sendAndWait(api, registerNetwork, sudo);
	const added = result.events.find(e => e.event.section === 'subtensorModule' && e.event.method === 'NetworkAdded');
	const netuid = added ? Number(added.event.data[0]!.toString()) : -1;
	if (netuid !== DEVNET_NETUID) throw new Error(`registerNetwork created netuid ${netuid}, expected ${DEVNET_NETUID}`);

	const q = api.query.subtensorModule;
	const raw: [string, string | null][] = [];
	const pallet = 'SubtensorModule';
	const cleanup: Record<string, unknown> = {NetworksAdded: FAKE_NETUIDS.map(n => [[n], null])};
	for (const map of PER_NETUID_MAPS) {
		if (api.query.subtensorModule[map.charAt(0).toLowerCase() + map.slice(1)]) cleanup[map] = FAKE_NETUIDS.map(n => [[n], null]);
	}
	const n = DEVNET_NETUID;
	const u16 = (v: number) => api.createType('u16', v).toHex(true);
	const u64 = (v: bigint | number) => api.createType('u64', v).toHex(true);
	const set = (item: string, value: string) => {
		if (q[item]) raw.push([q[item]!.key(n), value]);
	};
	set('tempo', u16(tempo));
	set('maxAllowedUids', u16(256));
	set('maxRegistrationsPerBlock', u16(64));
	set('targetRegistrationsPerInterval', u16(64));
	set('adjustmentInterval', u16(360));
	set('minBurn', u64(1_000_000n));
	set('burn', u64(1_000_000n));
	set('maxBurn', u64(100n * TAO));
	set('weightsSetRateLimit', u64(0));
	set('commitRevealWeightsEnabled', '0x00');
	set('activityCutoff', u16(5000));
	set('immunityPeriod', u16(5000));
	set('minAllowedWeights', u16(1));
	set('maxAllowedValidators', u16(64));
	set('networkRegistrationAllowed', '0x01');
	// Seed the pool so stake swaps to alpha at price ~1 (a 1-rao pool truncates stake to 0).
	set('subnetTAO', u64(1000n * TAO));
	set('subnetAlphaIn', u64(1000n * TAO));
	await provider.send('dev_setStorage', [{[pallet]: cleanup}]);
	await provider.send('dev_setStorage', [raw]);
}

// The devnet validator (the orchestrator's hotkey): funded for fees, registered on subnet 9 and
// staked on root so it holds nearly all of subnet 9's stake weight; one batch, one block.
async function registerValidator(api: ApiPromise, faucet: Awaited<ReturnType<typeof devnetKey>>) {
	const validator = (await devnetKey('validatorHotkey')).address;
	const sm = api.tx.subtensorModule;
	await sendAndWait(api, api.tx.utility.batchAll([
		api.tx.balances.transferKeepAlive(validator, 1000n * TAO),
		sm.burnedRegister(DEVNET_NETUID, validator),
		sm.addStake(validator, 0, VALIDATOR_ROOT_STAKE),
	]), faucet);
}
