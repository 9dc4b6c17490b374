// ChainView backed by the real local chain: subnet 9's hotkeys read through ChainClient and kept
// for metagraph_ttl_s; a hotkey not in the cached list triggers a fresh read (so a miner that
// has just registered is seen at once). Concurrent refreshes share one read.
import {connectChain, type ChainClient} from '../chain/client.js';
import type {ChainView} from './chain-view.js';

export class MetagraphView implements ChainView {
	private hotkeys = new Set<string>();
	private readAt = 0;
	private pending: Promise<void> | undefined;

	private constructor(
		private readonly client: ChainClient,
		private readonly netuid: number,
		private readonly ttlMs: number,
	) {}

	static async connect(url: string, netuid: number, ttlMs: number): Promise<MetagraphView> {
		return new MetagraphView(await connectChain(url), netuid, ttlMs);
	}

	private refresh(): Promise<void> {
		if (this.pending) return this.pending;
		const read: Promise<void> = this.client
			.hotkeys(this.netuid)
			.then(list => {
				this.hotkeys = new Set(list);
				this.readAt = Date.now();
			})
			.finally(() => {
				this.pending = undefined;
			});
		this.pending = read;
		return read;
	}

	async isRegistered(hotkey: string): Promise<boolean> {
		if (Date.now() - this.readAt > this.ttlMs || !this.hotkeys.has(hotkey)) await this.refresh();
		return this.hotkeys.has(hotkey);
	}

	async meanIncentive(hotkeys: string[]): Promise<number> {
		if (hotkeys.length === 0) return 0;
		let sum = 0;
		for (const hk of hotkeys) {
			sum += (await this.client.neuron(this.netuid, hk)).incentive ?? 0;
		}
		return sum / hotkeys.length;
	}

	async close(): Promise<void> {
		await this.client.close();
	}
}
