// Runs the reduced chaos suite for one protocol's swarm as a child process and returns its rows.
import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ChaosRow} from '../../chaos/types.js';

const ROOT = join(import.meta.dirname, '..', '..');

export async function reducedChaos(protocol: 'current' | 'v1'): Promise<{rows: ChaosRow[]; code: number | null; log: string}> {
	const dir = mkdtempSync(join(tmpdir(), 'iota-chaos-test-'));
	const out = join(dir, 'rows.json');
	try {
		const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'chaos.ts'), '--reduced', '--protocol', protocol, '--out', out], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']});
		let log = '';
		child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
		child.stdout.pipe(process.stdout);
		const code = await new Promise<number | null>(resolve => child.once('exit', resolve));
		const rows = JSON.parse(readFileSync(out, 'utf8')) as ChaosRow[];
		return {rows, code, log: log.split('\n').filter(l => l.includes('chaos:')).join('\n')};
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}
