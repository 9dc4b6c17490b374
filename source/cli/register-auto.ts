// `iota-tui register --auto --max-burn TAO`: wait for an open window and a burn under the cap, then register once.
import {dirname} from 'node:path';
import type {Command} from 'commander';
import {printJson, readPassword, walletRef} from './common.js';
import {target, type RegisterOptions} from './chain-actions.js';
import {untilStopped} from './register-watch.js';
import {UsageError, UserError} from '../errors.js';
import {withSpinner} from '../ui/prompt.js';
import {loadColdkeyPair, readHotkey} from '../wallet/wallet.js';
import {connectChain, formatTao} from '../chain/client.js';
import {untilRegistered, type Registered} from '../chain/auto-register-loop.js';
import {readWish, removeWish, sameTarget, wishFile, writeWish, type Wish} from '../chain/auto-register.js';

export type AutoOptions = RegisterOptions & {maxBurn?: bigint; cancel?: boolean};

export async function autoRegister(cmd: Command, opts: AutoOptions) {
	const {cfg, network, netuid} = target(cmd, opts);
	const ref = walletRef(opts, cfg);
	const dir = dirname(cfg.path);
	// Text goes to stdout; with --json only the NDJSON events do, the rest to stderr.
	const say = (line: string) => void (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
	if (opts.cancel) {
		say(removeWish(dir) ? `cancelled: ${wishFile(dir)} removed` : 'no auto-registration was pending');
		return;
	}
	const here = {network: network.url, netuid, wallet: ref.name, hotkey: ref.hotkey};
	const cap = capFor(dir, here, opts.maxBurn, say);
	const stopped = untilStopped(); // listen first: Ctrl+C while unlocking or connecting still ends cleanly
	const hotkey = (await readHotkey(ref)).ss58Address!;
	// Unlocked once, kept in memory only for this run: the wish on disk never holds the password.
	const coldkey = await withSpinner('unlocking the coldkey', async () => loadColdkeyPair(ref, await readPassword(opts, 'Coldkey password')));
	if (opts.maxBurn !== undefined) writeWish(dir, {...here, max_burn_rao: opts.maxBurn.toString(), created_at: new Date().toISOString()});
	const chain = await connectChain(network.url);
	try {
		if (!(await chain.subnetExists(netuid))) throw new UserError(`subnet ${netuid} does not exist on ${network.url}`);
		if (opts.faucet && (await chain.topUpForRegistration(coldkey.address, netuid))) say('funding the coldkey from the devnet faucet: done');
		say(`auto-registering ${hotkey} on subnet ${netuid} when the window is open and the burn is at most ${formatTao(cap)} (Ctrl+C stops; the wish stays in ${wishFile(dir)})`);
		const json = opts.json === true;
		const stop = new AbortController();
		void stopped.then(() => stop.abort());
		const result = await untilRegistered(chain, netuid, hotkey, coldkey, cap, {
			onWait: (why, w, burn) => (json ? printJson({event: 'waiting', why, burn_rao: burn, cap_rao: cap, block: w.block}) : say(`waiting: ${why} (block ${w.block})`)),
			onReadError: message => process.stderr.write(`read failed: ${message}\n`),
		}, stop.signal);
		if (!result) {
			say('stopped; the wish is kept: rerun `iota-tui register --auto` to resume, or --cancel to drop it');
			return;
		}
		removeWish(dir);
		report(result, opts.json === true, netuid);
	} finally {
		await chain.close();
	}
}

/** The cap from --max-burn, else from a stored wish for the same target (said aloud), else a usage error. */
function capFor(dir: string, here: Omit<Wish, 'max_burn_rao' | 'created_at'>, maxBurn: bigint | undefined, say: (line: string) => void): bigint {
	if (maxBurn !== undefined) return maxBurn;
	const wish = readWish(dir);
	if (!wish || !sameTarget(wish, here)) throw new UsageError('--auto needs --max-burn TAO (no saved wish for this wallet, hotkey and network)');
	const cap = BigInt(wish.max_burn_rao);
	say(`resuming the saved wish from ${wish.created_at}: cap ${formatTao(cap)}`);
	return cap;
}

function report(r: Registered, json: boolean, netuid: number): void {
	if (json) return void printJson({event: 'registered', uid: r.uid, burn_rao: r.burnPaid, fee_rao: r.fee, block: r.block, already_registered: r.already});
	if (r.already) return void process.stdout.write(`already registered on subnet ${netuid}: uid ${r.uid}\n`);
	const paid = r.burnPaid === null ? '' : `, burned ${formatTao(r.burnPaid)}`;
	process.stdout.write(`registered on subnet ${netuid}: uid ${r.uid}${paid}${r.fee ? ` (+ fee ${formatTao(r.fee)})` : ''} in block ${r.block}\n`);
}
