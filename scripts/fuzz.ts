// `npm run fuzz`: hostile requests to the devnet orchestrators (v1 and current), hostile replies to the miner,
// hostile P2P messages and hostile torch.save files.
// Prints a table and writes bench/results/fuzz.json as rows {target, tried, crashed, accepted, ...}.
// --reduced runs a short version (npm test runs it through test/fuzz/).
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import type {FuzzRow, FuzzTarget} from '../fuzz/types.js';

const reduced = process.argv.includes('--reduced');
const only = process.argv.slice(2).filter(a => !a.startsWith('--'));
const log = (line: string) => process.stderr.write(`${line}\n`);

const targets: FuzzTarget[] = [];
for (const path of ['../fuzz/orchestrator.js', '../fuzz/miner.js', '../fuzz/p2p.js', '../fuzz/torch.js', '../fuzz/current.js']) {
	try {
		targets.push(((await import(path)) as {target: FuzzTarget}).target);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
	}
}

const rows: FuzzRow[] = [];
for (const t of targets.filter(t => only.length === 0 || only.some(o => t.name.includes(o)))) {
	log(`fuzz: ${t.name}${reduced ? ' (reduced)' : ''}`);
	rows.push(...(await t.run({reduced, log})));
}

const header = ['target', 'tried', 'crashed', 'accepted', '5xx', 'hung'];
const table = [header, ...rows.map(r => [r.target, r.tried, r.crashed, r.accepted, r.fivexx, r.hung].map(String))];
const widths = header.map((_, i) => Math.max(...table.map(row => row[i]!.length)));
for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
const dir = join(import.meta.dirname, '..', 'bench', 'results');
mkdirSync(dir, {recursive: true});
writeFileSync(join(dir, reduced ? 'fuzz-reduced.json' : 'fuzz.json'), `${JSON.stringify(rows, null, 2)}\n`);
const bad = rows.reduce((n, r) => n + r.crashed + r.accepted + r.fivexx + r.hung, 0);
process.exit(bad === 0 && rows.length > 0 ? 0 : 1);
