// What the orchestrator needs from the chain: is a hotkey in subnet 9's metagraph, and the mean
// incentive of a set of hotkeys (the tie-break for layer assignment).
export interface ChainView {
	isRegistered(hotkey: string): Promise<boolean>;
	meanIncentive(hotkeys: string[]): Promise<number>;
	close?(): Promise<void>;
}

/** A fixed set of hotkeys, for unit tests of the server without a chain. */
export class StaticChainView implements ChainView {
	constructor(
		readonly hotkeys: Set<string>,
		readonly incentives: Map<string, number> = new Map(),
	) {}
	async isRegistered(hotkey: string): Promise<boolean> {
		return this.hotkeys.has(hotkey);
	}
	async meanIncentive(hotkeys: string[]): Promise<number> {
		if (hotkeys.length === 0) return 0;
		return hotkeys.reduce((a, h) => a + (this.incentives.get(h) ?? 0), 0) / hotkeys.length;
	}
}
