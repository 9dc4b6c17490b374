#!/usr/bin/env node
// Lists imports that run against the layer rules, and import circles; exits 1 if there is any.
// Rules: cli/ may import anything; setup/ anything but cli/; ui/ only miner/ (types) and shared
// root modules; miner/ never ui/, cli/ or setup/; domain folders never ui/, cli/, setup/ or miner/.
// Usage: node scripts/check-imports.mjs [--json] [source-dir]
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, normalize, relative, sep} from 'node:path';

const args = process.argv.slice(2);
const json = args.includes('--json');
const root = args.find(a => !a.startsWith('--')) ?? 'source';

const domains = ['chain', 'wallet', 'storage', 'training', 'orchestrator', 'devnet', 'p2p', 'doctor'];
// For each folder, the folders it must not import from ('' is a file directly under source/).
const forbidden = {
	cli: [],
	setup: ['cli'],
	ui: ['cli', 'setup', ...domains],
	miner: ['cli', 'setup', 'ui'],
	'': ['cli', 'setup', 'ui', 'miner', ...domains],
	...Object.fromEntries(domains.map(d => [d, ['cli', 'setup', 'ui', 'miner']])),
};

const walk = dir => readdirSync(dir).flatMap(name => {
	const path = join(dir, name);
	return statSync(path).isDirectory() ? walk(path) : /\.(ts|tsx|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
});

// Static imports, re-exports, side-effect imports and dynamic import('...') with a literal path.
const importPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function specifiers(file) {
	const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
	return [...text.matchAll(importPattern)].map(m => ({spec: m[1], line: text.slice(0, m.index).split('\n').length}));
}

const files = walk(root);
const known = new Set(files.map(f => normalize(f)));
function resolve(from, spec) {
	const base = normalize(join(dirname(from), spec));
	const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), join(base, 'index.ts'), join(base, 'index.tsx')];
	return candidates.find(c => known.has(c));
}
const folderOf = file => {
	const parts = relative(root, file).split(sep);
	return parts.length > 1 ? parts[0] : '';
};

const violations = [];
const graph = new Map();
for (const file of files) {
	const edges = [];
	for (const {spec, line} of specifiers(file)) {
		const target = resolve(file, spec);
		if (!target) continue;
		edges.push(target);
		const from = folderOf(file);
		const to = folderOf(target);
		if (from !== to && (forbidden[from] ?? []).includes(to)) {
			violations.push({file: relative('.', file), line, imports: relative('.', target), rule: `${from || 'source/'} must not import ${to}/`});
		}
	}
	graph.set(normalize(file), edges);
}

// Circles: strongly connected components with more than one file (Tarjan).
const circles = [];
{
	let index = 0;
	const stack = [];
	const info = new Map();
	const visit = v => {
		info.set(v, {index, low: index, on: true});
		index++;
		stack.push(v);
		for (const w of graph.get(v) ?? []) {
			if (!info.has(w)) {
				visit(w);
				info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
			} else if (info.get(w).on) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
		}
		if (info.get(v).low === info.get(v).index) {
			const group = [];
			let w;
			do {
				w = stack.pop();
				info.get(w).on = false;
				group.push(relative('.', w));
			} while (w !== v);
			if (group.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(group.sort());
		}
	};
	for (const v of graph.keys()) if (!info.has(v)) visit(v);
}

if (json) {
	process.stdout.write(`${JSON.stringify({files: files.length, violations, circles})}\n`);
} else {
	for (const v of violations) console.log(`${v.file}:${v.line}: imports ${v.imports} (${v.rule})`);
	for (const c of circles) console.log(`import circle: ${c.join(' <-> ')}`);
	console.log(`check-imports: ${files.length} files, ${violations.length} layer violations, ${circles.length} import circles`);
}
process.exit(violations.length + circles.length > 0 ? 1 : 0);
