// Stand-ins for process.stdout/stdin that claim to be a TTY, so startDashboard runs its live path.
import {EventEmitter} from 'node:events';

export class FakeStdout extends EventEmitter {
	isTTY = true;
	columns = 100;
	rows = 30;
	out = '';
	// Ink waits on a write's callback before it reports the app as exited.
	write = (s: string, encoding?: unknown, callback?: unknown) => {
		this.out += s;
		const done = typeof encoding === 'function' ? encoding : callback;
		if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
		return true;
	};
}

export class FakeStdin extends EventEmitter {
	isTTY = true;
	data: string | null = null;
	setEncoding() {}
	setRawMode() {}
	resume() {}
	pause() {}
	ref() {}
	unref() {}
	read = () => {
		const d = this.data;
		this.data = null;
		return d;
	};
	press(s: string) {
		this.data = s;
		this.emit('readable');
		this.emit('data', s);
	}
}
