// A devnet (store + orchestrator, a fixed hotkey set for the metagraph) in its own process, so
// the fuzzer sees a crash as an exit. argv[2]: JSON {dataDir, hotkeys, protocol?}. Prints one JSON
// line {orchestrator, store, version} when up; stops on SIGTERM.
import {startDevnet} from '../source/devnet/devnet.js';
import {StaticChainView} from '../source/devnet/chain-view.js';
import {SPEC_VERSION} from '../source/orchestrator/current/signing.js';

const {dataDir, hotkeys, protocol} = JSON.parse(process.argv[2] ?? '{}') as {dataDir: string; hotkeys: string[]; protocol?: 'v1' | 'current'};
const chainView = new StaticChainView(new Set(hotkeys));
const log = (line: string) => process.stderr.write(`${line}\n`);
// Limits high enough that hostile requests reach validation instead of the rate limiter, and
// no merge ever starts: the layers stay in training for the whole run.
const devnet =
	protocol === 'current'
		? await startDevnet({
				protocol: 'current',
				dataDir,
				chainView,
				currentSettings: {
					batches_before_merging: 1_000_000, rate_limit_per_s: 1e6, rate_limit_high_per_s: 1e6, public_rate_limit_per_s: 1e6,
					activation_timeout_s: 3600, spot_check_rate: 0, queue_poll_after_s: 0.05, max_samples: 16,
				},
				log,
			})
		: await startDevnet({
				dataDir,
				chainView,
				settings: {layers: 3, batches_before_merging: 1_000_000, rate_limit_per_s: 1e6, rate_limit_random_per_s: 1e6, activation_timeout_s: 3600},
				log,
			});
const version = devnet.protocol === 'current' ? String(SPEC_VERSION) : devnet.settings.version;
process.stdout.write(`${JSON.stringify({orchestrator: devnet.orchestrator, store: devnet.store, version})}\n`);
process.on('SIGTERM', () => {
	void devnet.close().finally(() => process.exit(0));
});
