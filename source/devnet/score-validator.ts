// The devnet orchestrator acting as subnet 9's validator: each tempo it spot-checks one pending
// weight submission, scores every miner and sets weights on chain with the devnet validator hotkey.
// The devnet can do this because it controls the devnet keys; on the chain the Yuma hook turns
// the weights into Incentive/Emission (devnet-emulated).
import type {KeyringPair} from '@polkadot/keyring/types';
import {connectChain, type ChainClient} from '../chain/client.js';
import {devnetKey} from '../chain/devnet-keys.js';
import {sendAndWait} from '../chain/tx.js';
import type {OrchestratorState} from './state.js';
import {toWeights} from './score.js';
import {ScoreBook, type SpotCheckRow} from './score-book.js';
import {spotCheck, type FetchObject, type SpotCheckSettings} from './score-spotcheck.js';

export type ValidatorOptions = {
	chainUrl: string;
	netuid: number;
	/** The live orchestrator state (a getter: the orchestrator may be restarted). */
	state: () => OrchestratorState;
	layers: number;
	fetchObject: FetchObject;
	/** false turns the recomputation off. */
	spotCheck: SpotCheckSettings | false;
	/** Set weights by itself each tempo on new heads (tests call tick() instead). Default true. */
	auto?: boolean;
	log?: (line: string) => void;
};

export type TickResult = {block: number; uids: number[]; weights: number[]; scores: Record<string, number>; checked?: SpotCheckRow; skipped?: string};

export type ChainScore = {uid: number | null; incentive: number | null; emission: string | null; emulated: boolean};

export class DevnetValidator {
	private books = new WeakMap<OrchestratorState, ScoreBook>();
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

	/** The score book on the current orchestrator state. */
	book(): ScoreBook {
		const state = this.opts.state();
		let book = this.books.get(state);
		if (!book) this.books.set(state, (book = new ScoreBook(state.db)));
		return book;
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
		const book = this.book();
		let checked: SpotCheckRow | undefined;
		const pending = this.opts.spotCheck ? book.pending(1)[0] : undefined;
		if (pending && this.opts.spotCheck) {
			checked = await spotCheck(book, pending, this.opts.layers - 1, this.opts.fetchObject, this.opts.spotCheck, Date.now());
			log?.(`validator: spot-check ${checked.hotkey} layer ${checked.layer} epoch ${checked.epoch}: ${checked.outcome}${checked.cosine === null ? '' : ` (cosine ${checked.cosine.toFixed(4)}, magnitude ratio ${checked.magnitude_ratio!.toFixed(4)})`}${checked.detail ? ` ${checked.detail}` : ''}`);
		}
		if ((await this.client.getUid(netuid, this.key.address)) === null) return {block, uids: [], weights: [], scores: {}, checked, skipped: 'the devnet validator hotkey is not registered on this chain'};
		const hotkeys = await this.client.hotkeys(netuid);
		const uidOf = new Map(hotkeys.map((h, uid) => [h, uid]));
		const scores: Record<string, number> = {};
		const rows: {uid: number; score: number}[] = [];
		for (const m of this.opts.state().miners()) {
			const score = book.score(m.hotkey);
			scores[m.hotkey] = score;
			const uid = uidOf.get(m.hotkey);
			if (uid !== undefined && m.hotkey !== this.key.address) rows.push({uid, score});
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
