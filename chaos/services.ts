// The store and orchestrator as child processes (chaos/service.ts) that a fault can kill and the
// harness starts again on the same port and data.
import {spawn, type ChildProcess} from 'node:child_process';
import {join} from 'node:path';
import {createInterface} from 'node:readline';

export type ServiceSpec = {
	kind: 'store' | 'orchestrator';
	port: number;
	dataDir: string;
	protocol?: 'current' | 'v1';
	chainUrl?: string;
	storeUrl?: string;
	settings?: Record<string, unknown>;
};

export class Service {
	child: ChildProcess | null = null;
	url = '';
	starts = 0;
	constructor(
		readonly spec: ServiceSpec,
		private readonly log: (line: string) => void,
	) {}

	get running(): boolean {
		return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
	}

	/** Starts the process and resolves with its URL once it serves. */
	async start(): Promise<string> {
		const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'service.ts'), JSON.stringify(this.spec)], {stdio: ['ignore', 'pipe', 'pipe']});
		this.child = child;
		this.starts++;
		const name = this.spec.kind;
		createInterface({input: child.stderr!}).on('line', line => this.log(`${name}: ${line}`));
		const exited = new Promise<never>((_, reject) => child.once('exit', code => reject(new Error(`${name} exited with code ${code} before it served`))));
		const ready = new Promise<string>(resolve => {
			createInterface({input: child.stdout!}).on('line', line => {
				const m = /^\{"ready":/.test(line) ? (JSON.parse(line) as {ready: string}) : null;
				if (m) resolve(m.ready);
			});
		});
		this.url = await Promise.race([ready, exited]);
		exited.catch(() => {}); // a later exit is what a fault does
		return this.url;
	}

	/** Sends the signal and resolves once the process is gone. */
	async kill(signal: NodeJS.Signals): Promise<void> {
		const child = this.child;
		if (!child || !this.running) return;
		const gone = new Promise<void>(resolve => child.once('exit', () => resolve()));
		child.kill(signal);
		const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
		await gone;
		clearTimeout(force);
	}
}
