// `npm run chaos`: fault cases against the real devnet (chain, store, orchestrator, miner processes).
// Prints a summary table and writes bench/results/chaos.json as rows {case, result, counts}.
// --reduced runs the short version npm test runs (test/chaos/); case names as arguments pick cases;
// --protocol current|v1 runs one swarm's cases; --out FILE writes the rows there instead.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {plans, runPlan} from '../chaos/run.js';
import type {ChaosRow} from '../chaos/types.js';

const reduced = process.argv.includes('--reduced');
const keep = process.argv.includes('--keep');
const flag = (name: string) => {
	const i = process.argv.indexOf(name);
	return i > 0 ? process.argv[i + 1] : undefined;
};
const protocol = flag('--protocol');
const outFile = flag('--out');
const only = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !['--protocol', '--out'].includes(all[i - 1]!));
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'iota-chaos-'));
process.env.IOTA_TUI_CONFIG_DIR ??= join(dir, 'config'); // the miners' config, never the user's
const rows: ChaosRow[] = [];
try {
	for (const plan of plans(reduced).filter(p => !protocol || p.protocol === protocol)) rows.push(...(await runPlan(plan, {reduced, dir, only, log})));
} finally {
	if (!keep) rmSync(dir, {recursive: true, force: true});
}

const table = [['case', 'result', 'counts'], ...rows.map(r => [r.case, r.result, Object.entries(r.counts).map(([k, v]) => `${k}=${v}`).join(' ')])];
const widths = [0, 1].map(i => Math.max(...table.map(row => row[i]!.length)));
for (const row of table) console.log(`${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`);
for (const r of rows) if (r.detail) console.log(`${r.case}: ${r.detail}`);
const out = join(import.meta.dirname, '..', 'bench', 'results');
mkdirSync(out, {recursive: true});
writeFileSync(outFile ?? join(out, reduced ? 'chaos-reduced.json' : 'chaos.json'), `${JSON.stringify(rows, null, 2)}\n`);
process.exit(rows.length > 0 && rows.every(r => r.result === 'pass') ? 0 : 1);
