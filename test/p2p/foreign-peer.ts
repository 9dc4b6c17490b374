// A stand-in for a foreign IOTA peer: its own iroh endpoint in its own process, built on @number0/iroh directly
// (not on source/p2p), moving bytes that other tools made. One JSON argument says what to do:
//   {"mode":"send","target":{nodeId,directAddresses},"messages":[{"alpn":"bi"|"uni","in":FILE,"out"?:FILE}]}
//   {"mode":"serve","dir":DIR,"replies":[FILE,...]}  prints its address as one JSON line, then stores each
//     inbound stream as DIR/<n>.<alpn>.bin and answers the n-th BI stream with replies[n]; ends when stdin closes.
import {readFileSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import type * as Iroh from '@number0/iroh/index.js';

const iroh = createRequire(import.meta.url)('@number0/iroh/index.js') as typeof Iroh;
const ALPNS = {bi: 'my-simple-protocol/1.0/bi', uni: 'my-simple-protocol/1.0/uni'} as const;
const arr = (b: Uint8Array): number[] => Array.prototype.slice.call(b) as number[];
const ascii = (s: string) => arr(Buffer.from(s, 'latin1'));

const spec = JSON.parse(process.argv[2]!);
const builder = iroh.Endpoint.builder();
iroh.presetMinimal(builder);
builder.relayMode(iroh.RelayMode.disabled());
builder.bindAddr('127.0.0.1:0');
builder.alpns([ascii(ALPNS.bi), ascii(ALPNS.uni)]);
const ep = await builder.bind();

if (spec.mode === 'send') {
	const addr = new iroh.EndpointAddr(iroh.EndpointId.fromString(spec.target.nodeId), null, spec.target.directAddresses);
	const conns: Partial<Record<'bi' | 'uni', Iroh.Connection>> = {};
	for (const m of spec.messages as Array<{alpn: 'bi' | 'uni'; in: string; out?: string}>) {
		const conn = (conns[m.alpn] ??= await ep.connect(addr, ascii(ALPNS[m.alpn])));
		const data = arr(readFileSync(m.in));
		if (m.alpn === 'bi') {
			const bi = await conn.openBi();
			await bi.send.writeAll(data);
			await bi.send.finish();
			writeFileSync(m.out!, Buffer.from(await bi.recv.readToEnd(100 * 2 ** 20)));
		} else {
			const s = await conn.openUni();
			await s.writeAll(data);
			await s.finish();
			await s.stopped();
		}
	}
	await ep.close();
	process.exit(0);
} else {
	let n = 0;
	let bis = 0;
	const serve = async (incoming: Iroh.Incoming) => {
		const conn = await (await incoming.accept()).connect();
		const alpn = Buffer.from(conn.alpn()).toString('latin1') === ALPNS.bi ? 'bi' : 'uni';
		for (;;) {
			if (alpn === 'bi') {
				const bi = await conn.acceptBi();
				const k = n++;
				const reply = readFileSync(spec.replies[bis++]);
				writeFileSync(`${spec.dir}/${k}.bi.bin`, Buffer.from(await bi.recv.readToEnd(100 * 2 ** 20)));
				await bi.send.writeAll(arr(reply));
				await bi.send.finish();
			} else {
				const s = await conn.acceptUni();
				writeFileSync(`${spec.dir}/${n++}.uni.bin`, Buffer.from(await s.readToEnd(100 * 2 ** 20)));
			}
		}
	};
	void (async () => {
		for (;;) {
			const incoming = await ep.acceptNext();
			if (!incoming) return;
			void serve(incoming).catch(() => {});
		}
	})();
	process.stdout.write(`${JSON.stringify({nodeId: ep.id().toString(), directAddresses: ep.addr().directAddresses()})}\n`);
	process.stdin.resume();
	process.stdin.on('end', () => void ep.close().finally(() => process.exit(0)));
}
