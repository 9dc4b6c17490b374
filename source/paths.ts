// Where the installed package lives (works from source/ under tsx and from dist/).
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {homedir} from 'node:os';
import {fileURLToPath} from 'node:url';

export function packageRoot(): string {
	let dir = dirname(fileURLToPath(import.meta.url));
	while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
	return dir;
}

export const packageVersion = (): string => (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version;

export const DEFAULT_WALLET_PATH = join(homedir(), '.bittensor', 'wallets');
export const defaultDataDir = (): string => join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'iota-tui', 'devnet');
