// Child process for production.test.ts: runs the live dashboard through 40 store updates and
// prints how many performance.measure entries React left behind. With "production" as the
// argument it first imports what cli.tsx imports first. Dynamic imports, so React loads after.
import {performance} from 'node:perf_hooks';

if (process.argv[2] === 'production') await import('../../source/production.js');
const {startDashboard} = await import('../../source/ui/dashboard/index.js');
const {loadTheme} = await import('../../source/ui/theme.js');
const {trainingStore} = await import('./fixtures.js');
const {FakeStdin, FakeStdout} = await import('./fake-tty.js');

const store = trainingStore();
const stdout = new FakeStdout();
const done = startDashboard(store, {
	theme: loadTheme('none', {}),
	onQuit: async () => {},
	stdout: stdout as unknown as NodeJS.WriteStream,
	stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
});
for (let i = 0; i < 40; i++) {
	store.dispatch({type: 'loss', value: 5 - i / 100, at: Date.now()});
	await new Promise(resolve => setTimeout(resolve, 25));
}
process.emit('SIGTERM', 'SIGTERM');
await done;
const frames = stdout.out.split('Batches toward merge').length - 1;
console.log(JSON.stringify({nodeEnv: process.env.NODE_ENV ?? null, frames, measures: performance.getEntriesByType('measure').length}));
