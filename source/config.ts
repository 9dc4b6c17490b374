// User settings (no secrets) in ~/.config/iota-tui/config.json via conf. A broken file is reported
// as one line naming the file and the key, never silently reset.
import Conf from 'conf';
import {readFileSync, existsSync} from 'node:fs';
import {join} from 'node:path';
import {z} from 'zod';
import {UserError} from './errors.js';
import {DEFAULT_WALLET_PATH} from './paths.js';

export const configSchema = z.object({
	network: z.string().min(1).default('devnet'),
	endpoints: z
		.object({
			devnet: z.string().url().optional(), // chain URL used for network "devnet"
			orchestrator: z.string().url().optional(), // wins over the network's orchestrator (`mine`)
			protocol: z.enum(['current', 'v1']).optional(), // wins over the network's miner protocol (`mine`)
			bucket: z.string().min(1).optional(),
		})
		.strict()
		.default({}),
	walletPath: z.string().min(1).default(DEFAULT_WALLET_PATH),
	wallet: z.string().min(1).regex(/^[^/\\]+$/, 'a name without slashes').default('default'),
	hotkey: z.string().min(1).regex(/^[^/\\]+$/, 'a name without slashes').default('default'),
	netuid: z.number().int().min(0).max(65535).default(9),
	theme: z.string().min(1).default('dark'),
}).strict();

export type Config = z.infer<typeof configSchema>;

export const configDir = () => process.env.IOTA_TUI_CONFIG_DIR;

function describeIssue(file: string, issue: z.core.$ZodIssue): string {
	const key = issue.path.join('.');
	if (issue.code === 'unrecognized_keys') return `${file}: unknown key "${(issue as {keys: string[]}).keys.join('", "')}" (remove it)`;
	return `${file}: bad value for "${key}": ${issue.message} (fix or delete that key)`;
}

export type ConfigStore = {path: string; values: Config; has(key: keyof Config): boolean; set<K extends keyof Config>(key: K, value: Config[K]): void};

export function loadConfig(cwd = configDir() ?? defaultConfigDir()): ConfigStore {
	const file = join(cwd, 'config.json');
	let raw: unknown = {};
	if (existsSync(file)) {
		const text = readFileSync(file, 'utf8');
		try {
			raw = text.trim() === '' ? {} : JSON.parse(text);
		} catch (error) {
			throw new UserError(`${file}: not valid JSON (${(error as Error).message}): fix it or delete the file to start from defaults`);
		}
	}
	const parsed = configSchema.safeParse(raw);
	if (!parsed.success) throw new UserError(describeIssue(file, parsed.error.issues[0]!));
	// conf reads the file itself; only after our check, so its own errors never reach the user.
	const conf = new Conf<Record<string, unknown>>({projectName: 'iota-tui', projectSuffix: '', cwd, clearInvalidConfig: false});
	return {
		path: file,
		values: parsed.data,
		has: key => typeof raw === 'object' && raw !== null && key in raw,
		set(key, value) {
			const next = configSchema.parse({...parsed.data, [key]: value});
			conf.set(key as string, next[key] as unknown);
			parsed.data[key] = next[key];
		},
	};
}

export const defaultConfigDir = () => join(process.env.XDG_CONFIG_HOME ?? join(process.env.HOME ?? '', '.config'), 'iota-tui');
