// A devnet (store + orchestrator, a fixed hotkey set for the metagraph) in its own process, so
// the fuzzer sees a crash as an exit. argv[2]: JSON {dataDir, hotkeys}. Prints one JSON line
// {orchestrator, store, version} when up; stops on SIGTERM.
import {startDevnet} from '../source/devnet/devnet.js';
import {StaticChainView} from '../source/devnet/chain-view.js';

const {dataDir, hotkeys} = JSON.parse(process.argv[2] ?? '{}') as {dataDir: string; hotkeys: string[]};
const devnet = await startDevnet({
	dataDir,
	chainView: new StaticChainView(new Set(hotkeys)),
	// Limits high enough that hostile requests reach validation instead of the rate limiter, and
	// no merge ever starts: the layers stay in training for the whole run.
	settings: {layers: 3, batches_before_merging: 1_000_000, rate_limit_per_s: 1e6, rate_limit_random_per_s: 1e6, activation_timeout_s: 3600},
	log: line => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify({orchestrator: devnet.orchestrator, store: devnet.store, version: devnet.settings.version})}\n`);
process.on('SIGTERM', () => {
	void devnet.close().finally(() => process.exit(0));
});
