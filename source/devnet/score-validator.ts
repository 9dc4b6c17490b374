// The devnet orchestrator acting as subnet 9's validator, chain side: each tempo it asks a scorer (the
// v1 score book, score-v1.ts, or the current orchestrator's work, current/score.ts) for per-miner
// scores and sets weights on chain with the devnet validator hotkey. The devnet can do this because
// it controls the devnet keys; on the chain the Yuma hook turns the weights into Incentive/Emission
// (devnet-emulated).
import type {KeyringPair} from '@polkadot/keyring/types';
import {connectChain, type ChainClient} from '../chain/client.js';
import {devnetKey} from '../chain/devnet-keys.js';
import {sendAndWait} from '../chain/tx.js';
import {toWeights} from './score.js';
import type {SpotCheckRow} from './score-book.js';

/** One round's scores by hotkey, from whatever the orchestrator records; `checked` is the v1 spot-check of the round. */
export type RoundScores = {scores: Record<string, number>; checked?: SpotCheckRow};

export interface Scorer {
	round(): Promise<RoundScores>;
}

export type ValidatorOptions = {
	chainUrl: string;
	netuid: number;
	scorer: Scorer;
	/** Set weights by itself each tempo on new heads (tests call tick() instead). Default true. */
	auto?: boolean;
	log?: (line: string) => void;
};

export type TickResult = {block: number; uids: number[]; weights: number[]; scores: Record<string, number>; checked?: SpotCheckRow; skipped?: string};

export type ChainScore = {uid: number | null; incentive: number | null; emission: string | null; emulated: boolean};

export class DevnetValidator {
	private lastSet = -Infinity;
	private running: Promise<TickResult> | undefined;
	private unsubscribe: (() => void) | undefined;
	readonly devnet: Promise<boolean>;

	private constructor(
		readonly client: ChainClient,
		readonly key: KeyringPair,
		readonly opts: ValidatorOptions,
	) {
		this.devnet = client.isDevnet().catch(() => false);
	}

	static async start(opts: ValidatorOptions): Promise<DevnetValidator> {
		const v = new DevnetValidator(await connectChain(opts.chainUrl), await devnetKey('validatorHotkey'), opts);
		if (opts.auto !== false) {
			const unsub = await v.client.api.rpc.chain.subscribeNewHeads(header => {
				void v.onHead(header.number.toNumber());
			});
			v.unsubscribe = unsub;
		}
		return v;
	}

	private async onHead(block: number) {
		if (this.running) return;
		const tempo = Number((await this.client.api.query.subtensorModule.tempo(this.opts.netuid)).toString()) || 10;
		if (block - this.lastSet < tempo) return;
		await this.tick().catch(error => this.opts.log?.(`validator: ${(error as Error).message}`));
	}

	/** One validator round; concurrent callers share it. */
	tick(): Promise<TickResult> {
		this.running ??= this.round().finally(() => (this.running = undefined));
		return this.running;
	}

	private async round(): Promise<TickResult> {
		const {netuid, log} = this.opts;
		const api = this.client.api;
		const block = (await api.rpc.chain.getHeader()).number.toNumber();
		this.lastSet = block; // also on failure: retry next tempo, not on every head
		const {scores, checked} = await this.opts.scorer.round();
		if ((await this.client.getUid(netuid, this.key.address)) === null) return {block, uids: [], weights: [], scores: {}, checked, skipped: 'the devnet validator hotkey is not registered on this chain'};
		const hotkeys = await this.client.hotkeys(netuid);
		const uidOf = new Map(hotkeys.map((h, uid) => [h, uid]));
		const rows: {uid: number; score: number}[] = [];
		for (const [hotkey, score] of Object.entries(scores)) {
			const uid = uidOf.get(hotkey);
			if (uid !== undefined && hotkey !== this.key.address) rows.push({uid, score});
		}
		const {uids, weights} = toWeights(rows);
		if (uids.length === 0) return {block, uids, weights, scores, checked, skipped: 'no miner has a score yet'};
		const version = Number((await api.query.subtensorModule.weightsVersionKey(netuid)).toString());
		await sendAndWait(api, api.tx.subtensorModule.setWeights(netuid, uids, weights, version), this.key);
		log?.(`validator: set weights on subnet ${netuid} at block ${block}: ${uids.map((u, i) => `${u}:${weights[i]}`).join(' ')}`);
		return {block, uids, weights, scores, checked};
	}

	/** What the chain says for a miner; `emulated` marks devnet figures produced by the Yuma hook. */
	async chainScore(hotkey: string): Promise<ChainScore> {
		const n = await this.client.neuron(this.opts.netuid, hotkey);
		return {uid: n.uid, incentive: n.incentive, emission: n.emission, emulated: await this.devnet};
	}

	async close(): Promise<void> {
		this.unsubscribe?.();
		await this.running?.catch(() => {});
		await this.client.close();
	}
}
