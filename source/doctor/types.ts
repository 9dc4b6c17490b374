// What one doctor check reports, and the helpers every check group shares (results, time limits).
export type Check = {
	name: string;
	ok: boolean;
	detail: string;
	/** What to do about a failed check; null when it passed. */
	fix: string | null;
	/** A failed blocking check means mining cannot work: doctor exits 1. */
	blocking: boolean;
};

export const pass = (name: string, detail: string, blocking = false): Check => ({name, ok: true, detail, fix: null, blocking});
export const fail = (name: string, detail: string, fix: string, blocking = false): Check => ({name, ok: false, detail, fix, blocking});

/** Rejects with "no answer in N s" when the promise takes longer than ms (the promise itself keeps running). */
export function timeBox<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
	});
	return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export const SYNC_CLOCK_FIX = 'sync the clock: timedatectl set-ntp true (or run chrony / ntpd)';

export const ms = (n: number) => `${Math.round(n)} ms`;
export const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0)} GiB`;
