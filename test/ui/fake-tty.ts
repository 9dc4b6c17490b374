// Stand-ins for process.stdout/stdin that claim to be a TTY, so startDashboard runs its live path.
import {EventEmitter} from 'node:events';

export class FakeStdout extends EventEmitter {
	isTTY = true;
	columns = 100;
	rows = 30;
	out = '';
	write = (s: string) => {
		this.out += s;
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
