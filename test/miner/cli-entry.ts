// Entry point for the miner command tests: devnet + mine (the real CLI is cli.tsx).
import {Command} from 'commander';
import {addDevnetCommand} from '../../source/cli/devnet.js';
import {addMineCommand} from '../../source/cli/mine.js';
import {UserError, errorMessage} from '../../source/errors.js';

const program = new Command('iota-tui').option('--theme <name>').option('--config-dir <dir>').enablePositionalOptions();
addDevnetCommand(program);
addMineCommand(program);
try {
	await program.parseAsync(process.argv);
	process.exit(0);
} catch (error) {
	process.stderr.write(`error: ${errorMessage(error)}\n`);
	process.exit(error instanceof UserError ? error.exitCode : 1);
}
