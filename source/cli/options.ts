// Option builders shared by command definitions (kept free of heavy imports: --help stays fast).
import {InvalidArgumentError, Option, type Command} from 'commander';

export type WalletOptions = {walletPath?: string; wallet?: string; hotkey?: string};

export function addWalletOptions(cmd: Command): Command {
	return cmd
		.option('--wallet-path <dir>', 'folder holding wallets (default: config walletPath, ~/.bittensor/wallets)')
		.option('-w, --wallet <name>', 'wallet name (default: config wallet, "default")')
		.option('-k, --hotkey <name>', 'hotkey name (default: config hotkey, "default")');
}

export const passwordOption = () => new Option('--password-file <file>', 'read the coldkey password from this file (first line)');

/** The one parser for whole-number flags: digits only, within [min, max], or a usage error naming the range. */
export const intArg = (min = 0, max = Number.MAX_SAFE_INTEGER) => (value: string): number => {
	const n = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
	if (!Number.isSafeInteger(n) || n < min || n > max) {
		throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected a whole number >= ${min}.` : `expected a whole number ${min}-${max}.`);
	}
	return n;
};

/** Decimal flags: 'positive' (> 0), 'non-negative' (>= 0) or 'share' (0 to 1). */
export const numberArg = (kind: 'positive' | 'non-negative' | 'share') => (value: string): number => {
	const n = value.trim() === '' ? Number.NaN : Number(value);
	if (!Number.isFinite(n)) throw new InvalidArgumentError('not a number.');
	if (kind === 'share' && (n < 0 || n > 1)) throw new InvalidArgumentError('expected a share between 0 and 1.');
	if (kind === 'positive' && n <= 0) throw new InvalidArgumentError('expected a number > 0.');
	if (kind === 'non-negative' && n < 0) throw new InvalidArgumentError('expected a number >= 0.');
	return n;
};

export const netuidOption = () => new Option('--netuid <n>', 'subnet (default: config netuid, 9)').argParser(intArg(0, 65535));
export const portArg = intArg(0, 65535);

/** TAO amounts as exact rao (9 decimals at most; no float rounding on money). */
export const taoArg = (value: string): bigint => {
	const m = /^\s*(\d+)(?:\.(\d{1,9}))?\s*$/.exec(value);
	if (!m) throw new InvalidArgumentError('expected an amount of TAO such as 0.5 (at most 9 decimals).');
	return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
};
