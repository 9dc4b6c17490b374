// Keeping in step with the orchestrator: registration, the layer's phase, the merged layer after a
// merge, recovery after failed calls (backoff, healthcheck, re-register) and the background polls.
import {UserError, errorMessage} from '../errors.js';
import {SKEW_WARN_MS, skewText} from '../orchestrator/clock-skew.js';
import {bf16ToBytes, bytesToBf16} from '../training/bf16.js';
import {Stopped, type MinerContext} from './context.js';
import type {LayerPhase} from './protocol.js';
import type {Phase} from './types.js';

export async function register(ctx: MinerContext): Promise<void> {
	ctx.waiting(`registration with the orchestrator at ${ctx.protocol.url}`);
	const r = await ctx.protocol.register();
	if (ctx.layer >= 0 && r.layer !== ctx.layer) throw new UserError(`the orchestrator moved this miner from layer ${ctx.layer} to ${r.layer}; restart the miner`);
	ctx.layer = r.layer;
	ctx.needRegister = false;
	ctx.dispatch({type: 'registered', layer: ctx.layer, version: r.version, at: ctx.now()});
}

export async function layerStatus(ctx: MinerContext): Promise<LayerPhase> {
	const r = await ctx.protocol.phase(ctx.layer);
	ctx.setPhase(r.phase);
	return r;
}

export async function waitPhase(ctx: MinerContext, targets: Phase[], what: string): Promise<Phase> {
	const deadline = ctx.now() + (ctx.settings!.phaseTimeoutS + 60) * 1000;
	for (;;) {
		const r = await layerStatus(ctx);
		if (targets.includes(r.phase)) return r.phase;
		if (ctx.now() > deadline) throw new UserError(`layer ${ctx.layer} stayed in ${r.phase} past the phase timeout`);
		ctx.waiting(what);
		await ctx.sleep(ctx.phasePollMs);
	}
}

/** Downloads the layer's merged partitions into the worker's weights and optimizer state. */
export async function syncLayer(ctx: MinerContext): Promise<boolean> {
	const {layer} = ctx;
	const trainer = ctx.trainer!;
	ctx.waiting(`merged weights of layer ${layer}`);
	const merged = await ctx.protocol.mergedLayer(layer);
	if (!merged) return false;
	const w = bytesToBf16(await trainer.exportWeights('bf16')).slice();
	const o = bytesToBf16(await trainer.exportOptimizerState('bf16')).slice();
	if ((await merged.apply(w, o)) === false) return false;
	ctx.stepsSinceMerge = 0;
	await trainer.importWeights(bf16ToBytes(w), 'bf16');
	await trainer.importOptimizerState(bf16ToBytes(o), 'bf16');
	const n = merged.parts;
	ctx.log('info', `loaded the merged layer ${layer} (${n} partition${n > 1 ? 's' : ''})`);
	return true;
}

/** After a failed step: report it, then wait as the failure asks (and re-register where it hints at that). */
export async function recover(ctx: MinerContext, error: unknown, failures: number): Promise<void> {
	if (error instanceof Stopped || ctx.stopSignal.aborted) return;
	const f = ctx.protocol.fault(error);
	if (f?.kind === 'version') return ctx.fatal(`${f.detail} The orchestrator runs another version: update iota-tui.`);
	ctx.dispatch({type: 'error', message: errorMessage(error), fatal: false, at: ctx.now()});
	checkClock(ctx);
	if (ctx.restarting) return;
	if (f) {
		if (f.kind === 'unregistered') ctx.needRegister = true;
		if (f.kind === 'not_in_metagraph') {
			ctx.waiting('the hotkey to be in the subnet metagraph');
			await ctx.sleep(Math.min(30_000, ctx.pollMs * 10));
			ctx.needRegister = true;
			return;
		}
		if (f.kind === 'rate_limited') {
			ctx.waiting('the rate limit');
			await ctx.sleep(Math.min(30_000, ctx.pollMs * 2 ** failures));
			return;
		}
		if (f.kind === 'unreachable' || failures >= 3) {
			if (f.kind === 'unreachable') ctx.links.set('orchestrator', false, f.detail.split('\n')[0]!.slice(0, 160));
			await healthy(ctx);
			ctx.links.set('orchestrator', true);
			ctx.needRegister = true;
		}
	}
	await ctx.sleep(Math.min(10_000, ctx.pollMs * 2 ** Math.min(failures, 4)));
}

/** v1: after a failed call, healthcheck until it answers; the caller then registers again. */
async function healthy(ctx: MinerContext): Promise<void> {
	for (let i = 0; ; i++) {
		ctx.checkStop();
		try {
			await ctx.protocol.healthcheck();
			return;
		} catch {
			ctx.waiting(`the orchestrator at ${ctx.protocol.url} to answer (healthcheck)`);
			await ctx.sleep(Math.min(30_000, 1000 * 2 ** i));
		}
	}
}

/** Score + on-chain incentive polling and the periodic registration check. */
export function startBackground(ctx: MinerContext): void {
	every(ctx, ctx.opts.scorePollMs ?? 15_000, () => pollScore(ctx));
	every(ctx, 10_000, async () => checkClock(ctx));
	every(ctx, ctx.opts.registrationCheckMs ?? 100_000, async () => {
		if (!(await ctx.protocol.isRegistered())) {
			ctx.log('warn', 'the orchestrator no longer knows this miner: registering again');
			ctx.needRegister = true;
		}
	});
}

/** Warns once per 5 s step of clock skew against the orchestrator (a skewed clock makes signatures stale). */
export function checkClock(ctx: MinerContext): void {
	const ms = ctx.protocol.clockSkewMs();
	if (ms === null) return;
	const step = Math.abs(ms) < SKEW_WARN_MS ? 0 : Math.sign(ms) * Math.round(Math.abs(ms) / SKEW_WARN_MS);
	if (step === ctx.clockStep) return;
	ctx.clockStep = step;
	if (step !== 0) ctx.log('warn', skewText(ms));
	else ctx.log('info', 'the clock agrees with the orchestrator again');
}

export function every(ctx: MinerContext, ms: number, fn: () => Promise<void>) {
	let running = false;
	const tick = () => {
		if (running || ctx.stopSignal.aborted) return;
		running = true;
		void fn()
			.catch(() => {})
			.finally(() => (running = false));
	};
	const t = setInterval(tick, ms);
	t.unref();
	ctx.timers.add(t as unknown as NodeJS.Timeout);
	tick();
}

async function pollScore(ctx: MinerContext): Promise<void> {
	let score: number | null = null;
	try {
		score = await ctx.protocol.score();
	} catch {
		score = ctx.opts.store.getState().score?.score ?? null;
	}
	let incentive: number | null = null;
	let emission: string | null = null;
	if (ctx.chain) {
		const n = await ctx.chain.neuron(ctx.netuid, ctx.hotkey).catch(() => null);
		incentive = n?.incentive ?? null;
		emission = n?.emission ?? null;
	}
	ctx.dispatch({type: 'score', score, incentive, emission, emulated: ctx.emulated, at: ctx.now()});
}
