// `iota-tui doctor`: checks this machine, the network and the wallet are ready to mine. Definition only;
// the work loads on use.
import {Option, type Command} from 'commander';
import {addWalletOptions, intArg, netuidOption} from './options.js';
import type {DoctorFlags} from './doctor-actions.js';

export function addDoctorCommand(program: Command): void {
	addWalletOptions(program.command('doctor'))
		.description('check Node, backend and GPU, disk and memory, clocks, chain, orchestrator, object store, P2P, wallet and registration; each failure names its fix')
		.option('-n, --network <name|url>', 'chain: devnet (local), test, finney or a ws:// URL (default: config network)')
		.option('--orchestrator <url>', 'orchestrator URL (default: config endpoints.orchestrator, else the network\'s)')
		.addOption(new Option('--protocol <name>', 'orchestrator protocol: current or v1 (default: as `mine` picks it)').choices(['current', 'v1']))
		.addOption(netuidOption())
		.option('--model <config>', 'model config to size disk and memory for (devnet, tiny, iota-1b, iota-15b)', 'devnet')
		.option('--backend <name>', 'training backend to try: auto, cuda, webgpu, node, wasm or cpu', 'auto')
		.option('--data-dir <dir>', 'the miner\'s data folder, for free disk (default ~/.local/share/iota-tui/miner)')
		.option('--store <url>', 'object store URL to check (default: the local devnet\'s http://127.0.0.1:9010 on the devnet; unchecked elsewhere)')
		.option('--timeout <ms>', 'time limit for each network check (the backend and P2P checks get twice it)', intArg(100, 60_000), 4000)
		.option('--json', 'print {"checks": [{"name", "ok", "detail", "fix"}]}')
		.addHelpText('after', '\nExit code 1 when a check that blocks mining fails: node_version, wallet, chain, orchestrator, registration.')
		.action(async (flags: DoctorFlags, cmd: Command) => (await import('./doctor-actions.js')).doctor(cmd, flags));
}
