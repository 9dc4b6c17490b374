// The iroh node: start a P2P endpoint as the miner would, report its node id, addresses and relay, close it.
import type {P2PNode, HealthReport} from '../p2p/node.js';
import {errorMessage} from '../errors.js';
import {fail, pass, timeBox, type Check} from './types.js';

export type P2PTarget = {hotkey: string | null; local: boolean; timeoutMs: number};

const FIREWALL_FIX = 'allow outbound UDP and HTTPS (iroh relays, port 443) through the firewall; inbound UDP helps direct connections';

export function p2pCheck(node: {nodeId: string; directAddresses: string[]; relayUrl: string | null}, health: HealthReport, local: boolean): Check {
	const addrs = node.directAddresses.length ? node.directAddresses.join(', ') : 'no direct address';
	const relay = local ? 'relay off (devnet)' : `relay ${node.relayUrl ?? 'none'}`;
	const detail = `node ${node.nodeId.slice(0, 16)}… bound at ${addrs}, ${relay}`;
	if (health.healthy) return pass('iroh', detail);
	return fail('iroh', `${detail}: ${health.reason ?? 'unhealthy'}`, health.reason === 'no home relay' ? FIREWALL_FIX : 'check that UDP sockets can be bound here (the endpoint needs one)');
}

/** A relay takes a moment to connect: ask again until healthy or the time is up. */
async function settledHealth(node: P2PNode, untilMs: number): Promise<HealthReport> {
	for (;;) {
		const report = await node.checkHealth();
		if (report.healthy || Date.now() + 500 > untilMs) return report;
		await new Promise(resolve => setTimeout(resolve, 500));
	}
}

export async function checkP2P(t: P2PTarget): Promise<Check> {
	const deadline = Date.now() + t.timeoutMs;
	const {P2PNode: Node} = await import('../p2p/node.js');
	// The miner derives its node id from the hotkey; without one a throwaway key shows the endpoint works.
	const options = {
		...(t.hotkey ? {hotkey: t.hotkey} : {secretKey: crypto.getRandomValues(new Uint8Array(32))}),
		bindAddr: t.local ? '127.0.0.1:0' : undefined,
		relay: t.local ? {mode: 'disabled' as const} : {mode: 'default' as const},
		healthIntervalMs: 0,
		healthTimeoutMs: 2000,
	};
	const starting = Node.start(options);
	try {
		const node = await timeBox(starting, t.timeoutMs);
		try {
			await node.refreshAddr();
			return p2pCheck(node, await settledHealth(node, deadline), t.local);
		} finally {
			await timeBox(node.close(), 3000).catch(() => {});
		}
	} catch (error) {
		void starting.then(n => n.close(), () => {}); // a late start must not leave an endpoint running
		return fail('iroh', `the P2P endpoint did not start: ${errorMessage(error)}`, 'reinstall iota-tui (the iroh native module may be missing for this platform) and check that UDP sockets can be bound');
	}
}
