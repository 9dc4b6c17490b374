// Runs the real CLI (from source through tsx) as a user would, in a child process.
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// npm test builds dist/ first; the compiled CLI starts in a fraction of tsx's time.
const DIST = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli.tsx', import.meta.url));
const argv = existsSync(DIST) ? [DIST] : ['--import', 'tsx', CLI];

export type CliResult = {code: number | null; stdout: string; stderr: string};

export function runCli(args: string[], opts: {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number} = {}): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [...argv, ...args], {
			cwd: ROOT,
			env: {...process.env, NO_COLOR: '1', ...opts.env},
			stdio: ['pipe', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', d => (stdout += d));
		child.stderr.on('data', d => (stderr += d));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`iota-tui ${args.join(' ')} did not finish in time\n${stderr}`));
		}, opts.timeoutMs ?? 120_000);
		child.on('error', reject);
		child.on('close', code => {
			clearTimeout(timer);
			resolve({code, stdout, stderr});
		});
		child.stdin.end(opts.input ?? '');
	});
}
