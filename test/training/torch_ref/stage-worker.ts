// Drives mixed_worker.py (a PyTorch pipeline stage in a real python3 process) one JSON line at a time.
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';

const SCRIPT = fileURLToPath(new URL('./mixed_worker.py', import.meta.url));

export class StageWorker {
	private child: ChildProcessWithoutNullStreams;
	private waiting: Array<{resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void}> = [];
	private stderr = '';
	private exited: Error | null = null;

	constructor(python: string) {
		this.child = spawn(python, [SCRIPT], {stdio: ['pipe', 'pipe', 'pipe']});
		this.child.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
		createInterface({input: this.child.stdout}).on('line', line => this.waiting.shift()?.resolve(JSON.parse(line) as Record<string, unknown>));
		this.child.on('exit', (code, signal) => {
			this.exited = new Error(`mixed_worker.py exited (${code ?? signal}): ${this.stderr}`);
			for (const w of this.waiting.splice(0)) w.reject(this.exited);
		});
	}

	/** Sends one command; rejects with the Python traceback when the worker reports an error. */
	async call(cmd: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
		if (this.exited) throw this.exited;
		const reply = new Promise<Record<string, unknown>>((resolve, reject) => this.waiting.push({resolve, reject}));
		this.child.stdin.write(JSON.stringify({cmd, ...args}) + '\n');
		const r = await reply;
		if (typeof r.error === 'string') throw new Error(`mixed_worker.py ${cmd}: ${r.error}`);
		return r;
	}

	/** Ends the worker by its pid (SIGKILL if it has not exited after the quit line). */
	async stop(): Promise<void> {
		if (this.exited) return;
		const done = new Promise<void>(resolve => this.child.once('exit', () => resolve()));
		this.child.stdin.end(JSON.stringify({cmd: 'quit'}) + '\n');
		const timer = setTimeout(() => process.kill(this.child.pid!, 'SIGKILL'), 10_000);
		await done;
		clearTimeout(timer);
	}
}
