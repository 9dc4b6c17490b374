// `iota-tui chain`, `register` and `status`: definitions only; the work loads on use.
import {Option, type Command} from 'commander';
import {addWalletOptions, netuidOption, numberArg, passwordOption, portArg, taoArg} from './options.js';
import type {RegisterOptions} from './chain-actions.js';
import {addRegistrationFlags} from './registration-flags.js';

const actions = () => import('./chain-actions.js');
const networkOption = () => new Option('-n, --network <name|url>', 'devnet (local), test, finney or a ws:// URL (default: config network)');

export function addChainCommands(program: Command): void {
	addRegistrationFlags(program.command('chain'))
		.description('start the local devnet chain alone (real Subtensor runtime, subnet 9, faucet)')
		.option('-p, --port <port>', 'port on 127.0.0.1', portArg, 9944)
		.option('--host <host>', 'address to listen on', '127.0.0.1')
		.option('--chain-spec <file>', 'raw chain spec (default: $IOTA_CHAIN_SPEC, then ../shared/chain/subtensor-raonet.json)')
		.option('--block-time <seconds>', 'build an empty block this often (0: only on transactions)', numberArg('non-negative'), 12)
		.option('--json', 'print a JSON line when ready')
		.action(async opts => (await actions()).runChain(opts));
	addWalletOptions(program.command('register'))
		.description('register the hotkey on the subnet by burning TAO (devnet: funded from the faucet first)')
		.addOption(networkOption())
		.addOption(netuidOption())
		.addOption(passwordOption())
		.option('-y, --yes', 'do not ask for confirmation')
		.option('--no-faucet', 'on the devnet, do not top up the coldkey from the faucet')
		.option('--json', 'print the result as JSON (with --watch: one JSON line per block)')
		.option('--watch', 'do not register: print the registration window (burn, counters, reset, open or not) at each new block until Ctrl+C')
		.addOption(new Option('--auto', 'wait (across restarts) for an open window and a burn at or under --max-burn, then register').conflicts('watch'))
		.addOption(new Option('--max-burn <tao>', 'with --auto: the most TAO to burn (kept on disk; a rerun without it resumes)').argParser(taoArg))
		.addOption(new Option('--cancel', 'with --auto: drop the saved wish and exit'))
		.action(async (opts: RegisterOptions & {watch?: boolean; auto?: boolean; maxBurn?: bigint; cancel?: boolean}, cmd: Command) => {
			if ((opts.maxBurn !== undefined || opts.cancel) && !opts.auto) cmd.error('error: --max-burn and --cancel go with --auto', {exitCode: 2});
			if (opts.auto) return (await import('./register-auto.js')).autoRegister(cmd, opts);
			if (opts.watch) return (await import('./register-watch.js')).watchRegistration(cmd, opts);
			return (await actions()).register(cmd, opts);
		});
	addWalletOptions(program.command('status'))
		.description("show the hotkey's neuron: uid, stake, incentive, emission, trust, axon")
		.addOption(networkOption())
		.addOption(netuidOption())
		.option('--json', 'print one JSON object')
		.option('--data-dir <dir>', "the running miner's data folder, if `mine` was given one (default ~/.local/share/iota-tui/miner)")
		.action(async (opts, cmd: Command) => {
			await (await actions()).status(cmd, opts);
		});
}
