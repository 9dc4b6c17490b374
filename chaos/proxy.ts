// A TCP proxy on 127.0.0.1 that can cut every connection and refuse new ones for a while: a dropped
// link to the chain (or any service) as the process behind it sees it, without stopping the service.
import {connect, createServer, type Server, type Socket} from 'node:net';
import type {AddressInfo} from 'node:net';

export class Proxy {
	private readonly sockets = new Set<Socket>();
	private down = false;
	cuts = 0;
	private constructor(
		private readonly server: Server,
		readonly port: number,
	) {}

	static async start(target: {host: string; port: number}): Promise<Proxy> {
		let proxy: Proxy | undefined;
		const server = createServer(client => proxy!.accept(client, target));
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		proxy = new Proxy(server, (server.address() as AddressInfo).port);
		return proxy;
	}

	private accept(client: Socket, target: {host: string; port: number}): void {
		if (this.down) return void client.destroy();
		const upstream = connect(target.port, target.host);
		for (const s of [client, upstream]) {
			this.sockets.add(s);
			s.on('close', () => this.sockets.delete(s));
			s.on('error', () => {}); // the other side's close is what matters
		}
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
		client.pipe(upstream).pipe(client);
	}

	/** Drops every open connection and refuses new ones until restore(). */
	cut(): void {
		this.down = true;
		this.cuts++;
		for (const s of this.sockets) s.destroy();
	}

	restore(): void {
		this.down = false;
	}

	close(): Promise<void> {
		this.cut();
		return new Promise(resolve => this.server.close(() => resolve()));
	}
}

/** A port that is free now (listen on 0, close, use the number). */
export async function freePort(): Promise<number> {
	const s = createServer();
	await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve));
	const port = (s.address() as AddressInfo).port;
	await new Promise(resolve => s.close(resolve));
	return port;
}
