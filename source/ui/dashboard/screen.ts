// Alternate screen in and out by hand (Ink 6 has no alternateScreen option). The way out is
// guarded: normal exit, process exit, a crash (before Node prints the error, so it stays
// visible on the normal screen) all restore the terminal.
const ENTER = '\x1b[?1049h\x1b[2J\x1b[H';
const LEAVE = '\x1b[?25h\x1b[?1049l'; // show the cursor, back to the normal screen

export function enterAltScreen(stdout: NodeJS.WriteStream): () => void {
	if (!stdout.isTTY) return () => {};
	let active = true;
	const restore = () => {
		if (!active) return;
		active = false;
		process.off('exit', restore);
		process.off('uncaughtExceptionMonitor', restore);
		try {
			stdout.write(LEAVE);
		} catch {
			// the terminal is gone (SSH dropped): nothing to restore
		}
	};
	stdout.write(ENTER);
	process.on('exit', restore);
	process.on('uncaughtExceptionMonitor', restore);
	return restore;
}
