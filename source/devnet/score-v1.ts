// The v1 orchestrator's scorer for the devnet validator: one spot-check of a pending weight
// submission per round, then every miner's score from the score book on the live state.
import type {OrchestratorState} from './state.js';
import {ScoreBook} from './score-book.js';
import {spotCheck, type FetchObject, type SpotCheckSettings} from './score-spotcheck.js';
import type {RoundScores, Scorer} from './score-validator.js';

export type V1ScorerOptions = {
	/** The live orchestrator state (a getter: the orchestrator may be restarted). */
	state: () => OrchestratorState;
	layers: number;
	fetchObject: FetchObject;
	/** false turns the recomputation off. */
	spotCheck: SpotCheckSettings | false;
	log?: (line: string) => void;
};

export class V1Scorer implements Scorer {
	private books = new WeakMap<OrchestratorState, ScoreBook>();

	constructor(readonly opts: V1ScorerOptions) {}

	/** The score book on the current orchestrator state. */
	book(): ScoreBook {
		const state = this.opts.state();
		let book = this.books.get(state);
		if (!book) this.books.set(state, (book = new ScoreBook(state.db)));
		return book;
	}

	async round(): Promise<RoundScores> {
		const {log} = this.opts;
		const book = this.book();
		let checked: RoundScores['checked'];
		const pending = this.opts.spotCheck ? book.pending(1)[0] : undefined;
		if (pending && this.opts.spotCheck) {
			checked = await spotCheck(book, pending, this.opts.layers - 1, this.opts.fetchObject, this.opts.spotCheck, Date.now());
			log?.(`validator: spot-check ${checked.hotkey} layer ${checked.layer} epoch ${checked.epoch}: ${checked.outcome}${checked.cosine === null ? '' : ` (cosine ${checked.cosine.toFixed(4)}, magnitude ratio ${checked.magnitude_ratio!.toFixed(4)})`}${checked.detail ? ` ${checked.detail}` : ''}`);
		}
		const scores: Record<string, number> = {};
		for (const m of this.opts.state().miners()) scores[m.hotkey] = book.score(m.hotkey);
		return {scores, checked};
	}
}
