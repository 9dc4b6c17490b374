// Child-process entry for the doctor's backend check: loads the backend, prints one JSON line. Kept apart so
// what native code (Dawn) writes to the terminal never lands on the wizard's screen or the doctor's output.
import {errorMessage} from '../errors.js';
import {initBackend} from '../training/backend.js';
import type {BackendChoice} from '../training/backend-names.js';

try {
	const info = await initBackend((process.argv[2] ?? 'auto') as BackendChoice);
	process.stdout.write(`\n${JSON.stringify({ok: true, info})}\n`);
} catch (error) {
	process.stdout.write(`\n${JSON.stringify({ok: false, error: errorMessage(error)})}\n`);
}
process.exit(0);
