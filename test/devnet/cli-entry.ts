// A minimal entry point for the devnet command test (the real CLI is cli.tsx).
import {Command} from 'commander';
import {addDevnetCommand} from '../../source/cli/devnet.js';

const program = new Command('iota-tui');
addDevnetCommand(program);
await program.parseAsync(process.argv);
