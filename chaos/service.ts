// Child-process entry for the chaos suite: runs the devnet object store or the orchestrator (with its
// validator) alone, on a fixed port and data dir, so a fault can kill exactly that part.
// argv[2] is a JSON ServiceSpec; prints {"ready": url} once serving, log lines to stderr.
import {join} from 'node:path';
import {startObjectStore} from '../source/devnet/store.js';
import {startDevnet} from '../source/devnet/devnet.js';
import type {ServiceSpec} from './services.js';

const spec = JSON.parse(process.argv[2]!) as ServiceSpec;
const log = (line: string) => process.stderr.write(`${line}\n`);
let close: () => Promise<void>;
if (spec.kind === 'store') {
	const store = await startObjectStore({directory: join(spec.dataDir, 'store'), port: spec.port});
	close = () => store.close();
	process.stdout.write(`${JSON.stringify({ready: store.url})}\n`);
} else {
	const store = {url: spec.storeUrl!, bucket: 'iota-devnet', accessKeyId: 'iota-devnet', secretAccessKey: 'iota-devnet-secret', close: async () => {}};
	const devnet = await startDevnet({
		protocol: spec.protocol, chainUrl: spec.chainUrl, store, dataDir: spec.dataDir, port: spec.port, log,
		...(spec.protocol === 'current' ? {currentSettings: spec.settings} : {settings: spec.settings}),
	});
	close = () => devnet.close();
	process.stdout.write(`${JSON.stringify({ready: devnet.orchestrator})}\n`);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void close().finally(() => process.exit(0)));
