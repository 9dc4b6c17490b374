// The registration queue's steps: queued -> (confirming -> confirmed) -> succeeded with a layer, or
// failed (run full) / expired (not confirmed in time). Layer choice runs one entry at a time.
import {toPlain} from '../../orchestrator/canonical-json.js';
import {parsePyJson} from '../../orchestrator/py-json-parse.js';
import type {CurrentCore} from './core.js';
import {registrationResponse} from './replies.js';
import type {QueueRow} from './state-queue.js';

export class RegistrationQueue {
	private assigning: Promise<unknown> = Promise.resolve();

	constructor(private readonly core: CurrentCore) {}

	/** Whether every layer holds its maximum of miners. */
	isFull(): boolean {
		const {state, settings} = this.core;
		return state.layers().every(l => state.minersInLayer(l.layer).length >= settings.max_miners_per_layer);
	}

	/** Moves an entry on as far as it can go now; returns it as it then stands. */
	async step(row: QueueRow): Promise<QueueRow> {
		const {state, settings} = this.core;
		const now = this.core.now();
		if (row.status === 'queued' && now - row.created_at >= settings.queue_hold_s * 1000) {
			if (settings.confirmation_required) state.queue.update(row.queue_id, 'confirming', now, {reserved_until: now + settings.confirm_timeout_s * 1000});
			else await this.process(row.queue_id);
		} else if (row.status === 'confirming' && (row.reserved_until ?? 0) < now) {
			state.queue.update(row.queue_id, 'expired', now, {detail: 'not confirmed before reserved_until'});
		} else if (row.status === 'confirmed') {
			await this.process(row.queue_id);
		}
		return state.queue.get(row.queue_id)!;
	}

	/** Assigns the layer (a known miner keeps its own) and stores the final answer. */
	private process(queueId: string): Promise<void> {
		const run = this.assigning.then(() => this.assign(queueId));
		this.assigning = run.catch(() => {});
		return run;
	}

	private async assign(queueId: string): Promise<void> {
		const {state, log} = this.core;
		const row = state.queue.get(queueId);
		// Another poll of the same entry may have got here first.
		if (!row || (row.status !== 'queued' && row.status !== 'confirmed')) return;
		state.queue.update(queueId, 'processing', this.core.now(), {reserved_until: row.reserved_until});
		try {
			const req = toPlain(parsePyJson(row.request)) as {p2p_node_id: string; coldkey?: string | null};
			const known = state.miner(row.hotkey);
			const layer = known?.layer ?? (await this.pickLayer());
			if (layer === null) {
				state.queue.update(queueId, 'failed', this.core.now(), {error: JSON.stringify({error_name: 'RunFullError', message: `Run ${this.core.settings.run_id} is full`})});
				return;
			}
			state.upsertMiner({hotkey: row.hotkey, layer, p2p_node_id: req.p2p_node_id, coldkey: req.coldkey ?? null}, this.core.now());
			const response = registrationResponse(this.core, state.miner(row.hotkey)!);
			state.queue.update(queueId, 'succeeded', this.core.now(), {response: JSON.stringify(response)});
			if (!known) log(`orchestrator: registered ${row.hotkey} on layer ${layer}`);
		} catch (error) {
			state.queue.update(queueId, 'failed', this.core.now(), {error: JSON.stringify({error_name: 'InternalError', message: 'registration could not be processed'})});
			throw error;
		}
	}

	/** Fewest miners first; ties go to the lowest mean incentive, then the lowest layer. Null when all are full. */
	private async pickLayer(): Promise<number | null> {
		const {state, settings, chain} = this.core;
		const rows = [];
		for (const l of state.layers()) {
			const hotkeys = state.minersInLayer(l.layer).map(m => m.hotkey);
			if (hotkeys.length >= settings.max_miners_per_layer) continue;
			rows.push({l: l.layer, n: hotkeys.length, incentive: await chain.meanIncentive(hotkeys).catch(() => 0)});
		}
		rows.sort((a, b) => a.n - b.n || a.incentive - b.incentive || a.l - b.l);
		return rows[0]?.l ?? null;
	}
}
