// Process facts from /proc for the devnet bench and the soak: a process tree walked by parent pid (never
// by name), peak and current RSS, open file descriptors. Linux only; a vanished pid reads as null.
import {readdirSync, readFileSync, readlinkSync} from 'node:fs';

/** Parent pid from /proc/<pid>/stat (the field after the parenthesised command, which may hold spaces). */
function parentOf(pid: number): number | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
	} catch {
		return null;
	}
}

/** Every live descendant of `root`, parents before children. */
export function descendants(root: number): number[] {
	const children = new Map<number, number[]>();
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		const ppid = parentOf(Number(name));
		if (ppid !== null) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
	}
	const out: number[] = [];
	const queue = [root];
	while (queue.length) for (const c of children.get(queue.shift()!) ?? []) out.push(c), queue.push(c);
	return out;
}

/** A field of /proc/<pid>/status in MB (VmHWM: peak RSS, VmRSS: now). */
export function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
	try {
		const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
	} catch {
		return null;
	}
}

export function fdCount(pid: number): number | null {
	try {
		return readdirSync(`/proc/${pid}/fd`).length;
	} catch {
		return null;
	}
}

/** The executable a pid runs (to tell node processes from the shells and `script` between them). */
export function exeOf(pid: number): string | null {
	try {
		return readlinkSync(`/proc/${pid}/exe`);
	} catch {
		return null;
	}
}

/** The command line, for labelling rows (not for choosing processes). */
export function cmdlineOf(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
	} catch {
		return '';
	}
}
