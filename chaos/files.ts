// File fingerprints for "untouched" checks (wallets, config) and queue folder listings.
import {createHash} from 'node:crypto';
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {join, relative} from 'node:path';

const walk = (dir: string): string[] =>
	existsSync(dir) ? readdirSync(dir).flatMap(name => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)])) : [];

/** path -> sha256 of every file under `dir`. */
export function fingerprint(dir: string): Map<string, string> {
	return new Map(walk(dir).map(f => [relative(dir, f), createHash('sha256').update(readFileSync(f)).digest('hex')]));
}

export const sameFiles = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/** Upload jobs on disk in a queue folder (jobs/<id>/job.json). */
export const queuedJobs = (queueDir: string) => (existsSync(join(queueDir, 'jobs')) ? readdirSync(join(queueDir, 'jobs')) : []);

/** Job folders whose job.json does not parse or whose body size disagrees with it. */
export function corruptJobs(queueDir: string): string[] {
	return queuedJobs(queueDir).filter(id => {
		try {
			const record = JSON.parse(readFileSync(join(queueDir, 'jobs', id, 'job.json'), 'utf8')) as {bytes: number};
			return statSync(join(queueDir, 'jobs', id, 'body.bin')).size !== record.bytes;
		} catch {
			return true;
		}
	});
}
