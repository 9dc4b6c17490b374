// The published package: `npm pack`, installed into an empty folder as a user would, then run
// through `npx iota-tui`. The install pulls the real dependency tree (chopsticks, @polkadot/api,
// tfjs, the AWS SDK, ...: about 500 packages), which takes minutes even from a warm npm cache,
// hence the long timeouts below; nothing here is timed.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {promisify} from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {name: string; version: string; bin: Record<string, string>};
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

// When the suite runs under `npm test`, npm exports its own context (npm_config_local_prefix is
// this repo, npm_package_*, npm_lifecycle_*): a nested npm would act on the repo, not the temp
// folder. Keep the user's npm settings (cache, registry, proxy) and drop that context.
const env = Object.fromEntries(
	Object.entries(process.env).filter(([k]) => !/^npm_(config_(local_prefix|call|yes|global_prefix|prefix)|package_|lifecycle_|command$|execpath$|node_execpath$)/i.test(k)),
);
delete env.INIT_CWD;

let packDir: string;
let installDir: string;
let tarball: string;
let packedFiles: string[];

before(
	async () => {
		if (!existsSync(join(root, 'dist', 'cli.js'))) await run(npm, ['run', 'build'], {cwd: root, env});
		packDir = mkdtempSync(join(tmpdir(), 'iota-pack-'));
		installDir = mkdtempSync(join(tmpdir(), 'iota-install-'));
		// dist/ is already built (npm test builds first): skip `prepare` so packing does not rebuild.
		const {stdout} = await run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], {cwd: root, env, maxBuffer: 16 << 20});
		const [info] = JSON.parse(stdout) as {filename: string; files: {path: string}[]}[];
		tarball = join(packDir, info!.filename);
		packedFiles = info!.files.map(f => f.path);
		await run(npm, ['install', '--no-audit', '--no-fund', '--omit=optional', '--prefer-offline', tarball], {
			cwd: installDir,
			env,
			maxBuffer: 64 << 20,
			timeout: 14 * 60_000,
		});
	},
	{timeout: 15 * 60_000},
);

after(() => {
	for (const d of [packDir, installDir]) if (d) rmSync(d, {recursive: true, force: true});
});

// `--no`: never fetch a registry package of that name; `--`: without it npx (npm exec) takes
// --help / --version as its own flags once another npx flag comes first.
const iota = (...args: string[]) => run(npx, ['--no', '--', 'iota-tui', ...args], {cwd: installDir, env, timeout: 120_000});

test('the built entry has a node shebang and is executable, in the repo and once installed', () => {
	assert.equal(pkg.bin['iota-tui'], 'dist/cli.js');
	for (const file of [join(root, 'dist', 'cli.js'), join(installDir, 'node_modules', 'iota-tui', 'dist', 'cli.js')]) {
		assert.equal(readFileSync(file, 'utf8').split('\n')[0], '#!/usr/bin/env node', file);
		assert.ok((statSync(file).mode & 0o111) !== 0, `${file} is executable`);
	}
});

test('the tarball holds the built CLI and themes, not sources or tests', () => {
	assert.ok(packedFiles.includes('package.json'));
	assert.ok(packedFiles.includes('dist/cli.js'));
	assert.ok(packedFiles.some(f => /^themes\/.+\.json$/.test(f)), 'themes are shipped (loaded at run time)');
	assert.deepEqual(packedFiles.filter(f => /^(test|source|scripts)\//.test(f) || /\.tsx?$/.test(f)), []);
});

test('the installed package is the packed one and links the iota-tui bin', () => {
	const installed = JSON.parse(readFileSync(join(installDir, 'node_modules', 'iota-tui', 'package.json'), 'utf8')) as {version: string};
	assert.equal(installed.version, pkg.version);
	const bin = join(installDir, 'node_modules', '.bin', 'iota-tui');
	assert.equal(realpathSync(bin), realpathSync(join(installDir, 'node_modules', 'iota-tui', 'dist', 'cli.js')));
});

test('npx iota-tui --version prints the package.json version', async () => {
	const {stdout} = await iota('--version');
	assert.equal(stdout.trim(), pkg.version);
	const short = await iota('-v');
	assert.equal(short.stdout.trim(), pkg.version);
});

test('npx iota-tui --help lists the commands; wallet --help lists its subcommands', async () => {
	const {stdout} = await iota('--help');
	assert.match(stdout, /^Usage: iota-tui/m);
	const commands = stdout.slice(stdout.indexOf('Commands:'));
	for (const c of ['wallet', 'chain', 'register', 'status']) assert.match(commands, new RegExp(`^\\s+${c}\\b`, 'm'), c);
	assert.match(stdout, /--version/);

	const wallet = await iota('wallet', '--help');
	for (const c of ['create', 'import', 'list', 'show']) assert.match(wallet.stdout, new RegExp(`^\\s+${c}\\b`, 'm'), `wallet ${c}`);
});

test('an unknown command exits with the usage code 2', async () => {
	await assert.rejects(iota('no-such-command'), (error: {code?: number; stderr?: string}) => {
		assert.equal(error.code, 2);
		assert.match(error.stderr ?? '', /unknown command/i);
		return true;
	});
});
