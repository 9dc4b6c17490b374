// With IOTA_TUI_LOG_FILE set (the background devnet), all output goes to that file, size-capped and
// rotated; the variable is removed so child processes (devnet miners) write through this one.
import {redirectOutput} from './log-file.js';

const path = process.env.IOTA_TUI_LOG_FILE;
if (path) {
	delete process.env.IOTA_TUI_LOG_FILE;
	const maxBytes = Number(process.env.IOTA_TUI_LOG_MAX_BYTES) || undefined;
	const log = redirectOutput(path, maxBytes);
	// Node prints a crash straight to file descriptor 2, which goes nowhere here: put it in the log.
	process.on('uncaughtException', error => {
		log.write(`fatal: ${error.stack ?? String(error)}\n`);
		process.exit(1);
	});
}
