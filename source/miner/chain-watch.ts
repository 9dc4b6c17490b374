// The chain side of a running miner: the registration window about once a block, a lost uid noticed at
// once (mining pauses, uploads go on), and with --auto a new registration under the burn cap.
import {attemptRegistration} from '../chain/register-attempt.js';
import {readRegistrationWindow, windowOpen, type RegistrationWindow} from '../chain/registration-window.js';
import {errorMessage} from '../errors.js';
import type {MinerContext} from './context.js';
import {every} from './sync.js';
import type {RegistrationInfo} from './types.js';

const BURN_LOOKBACK_MS = 60_000;

/** Per-session watch state: the burn readings of the last minute and the reason last logged while waiting. */
export class ChainWatch {
	deregistered = false;
	/** What --auto waits for right now (null: not waiting). */
	waitingFor: string | null = null;
	private burns: {at: number; burn: bigint}[] = [];
	private lastLogged: string | null = null;
	private lastShown = '';

	constructor(private readonly ctx: MinerContext) {}

	get intervalMs(): number {
		return this.ctx.opts.chainWatchMs ?? 12_000;
	}

	/** Reads the window and the uid; dispatches the window and, the first time the uid is gone, the deregistration. */
	async tick(): Promise<void> {
		const {ctx} = this;
		const chain = ctx.chain;
		if (!chain) return;
		const w = await readRegistrationWindow(chain, ctx.netuid);
		this.show(w);
		if (this.deregistered || ctx.uid === null) return;
		if ((await chain.getUid(ctx.netuid, ctx.hotkey)) !== null) return;
		this.deregistered = true;
		ctx.dispatch({type: 'deregistered', uid: ctx.uid, block: w.block, auto: Boolean(ctx.opts.autoRegister), at: ctx.now()});
		ctx.uid = null;
	}

	/** The registration panel's data: the window, the burn a minute ago, the cap and what --auto waits for. */
	show(w: RegistrationWindow): void {
		const {ctx} = this;
		const now = ctx.now();
		if (w.burn !== null) this.burns = [...this.burns.filter(b => now - b.at <= BURN_LOOKBACK_MS), {at: now, burn: w.burn}];
		const before = this.burns.length > 1 ? this.burns[0]!.burn : null;
		const {open, reason} = windowOpen(w);
		const s = (v: bigint | null | undefined) => (v === null || v === undefined ? null : v.toString());
		const info: RegistrationInfo = {
			block: w.block, burnRao: s(w.burn), burnBeforeRao: s(before), open, why: reason,
			thisInterval: w.registrationsThisInterval, targetPerInterval: w.targetPerInterval, thisBlock: w.registrationsThisBlock, maxPerBlock: w.maxPerBlock,
			blocksUntilReset: w.blocksUntilReset, subnetN: w.subnetN, maxUids: w.maxUids, immunityPeriod: w.immunityPeriod,
			capRao: s(ctx.opts.autoRegister?.maxBurn), waitingFor: this.waitingFor,
		};
		const key = JSON.stringify(info);
		if (key === this.lastShown) return; // a new block with nothing changed is not news
		this.lastShown = key;
		ctx.dispatch({type: 'registration', info});
	}

	/** Blocks the main loop until the hotkey has a uid again: registered under the cap (--auto) or by the user. */
	async regain(first = false): Promise<number> {
		const {ctx} = this;
		const chain = ctx.chain!;
		const auto = ctx.opts.autoRegister;
		for (;;) {
			ctx.checkStop();
			const w = await readRegistrationWindow(chain, ctx.netuid).catch((error: unknown) => errorMessage(error));
			if (typeof w === 'string') {
				this.wait(`the chain to answer (${w})`);
			} else if (auto) {
				const a = await attemptRegistration(chain, w, {netuid: ctx.netuid, hotkey: ctx.hotkey, coldkey: auto.coldkey, cap: auto.maxBurn});
				if (a.kind === 'registered') return this.regained(a.uid, first ? null : {burnPaid: a.burnPaid, block: a.block});
				this.wait(`${a.why} (block ${w.block})`);
				this.show(w);
			} else {
				const uid = await chain.getUid(ctx.netuid, ctx.hotkey);
				if (uid !== null) return this.regained(uid, first ? null : {burnPaid: null, block: w.block});
				this.wait('the hotkey to be registered again (`iota-tui register`, or restart with `mine --auto --max-burn TAO`)');
			}
			await ctx.sleep(Math.min(this.intervalMs, 6000));
		}
	}

	private wait(why: string): void {
		const {ctx} = this;
		this.waitingFor = why;
		ctx.waiting(`registration: ${why}`);
		const key = why.replace(/ \(block \d+\)$/, '');
		if (key !== this.lastLogged) ctx.log('info', `auto-register: waiting: ${why}`);
		this.lastLogged = key;
	}

	private regained(uid: number, again: {burnPaid: bigint | null; block: number | null} | null): number {
		const {ctx} = this;
		this.deregistered = false;
		this.waitingFor = null;
		this.lastLogged = null;
		ctx.uid = uid;
		ctx.dispatch({type: 'chain_registered', uid, again: again ? {burnRao: again.burnPaid?.toString() ?? null, block: again.block, at: ctx.now()} : undefined});
		if (again) ctx.needRegister = true; // the orchestrator learns the new uid from the metagraph: register with it again
		return uid;
	}
}

export function startChainWatch(ctx: MinerContext, watch: ChainWatch): void {
	if (!ctx.chain) return;
	every(ctx, watch.intervalMs, () => watch.tick());
}

