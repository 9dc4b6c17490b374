// Layer phases of the run (training -> weights_uploading -> merging_partitions -> training) and the
// chunk plan, driven by counts and timeouts as the v1 devnet's phases.ts; one epoch counter per run.
// A cycle starts for every layer with eligible miners at once; the epoch moves on when all of them
// are back in training and at least one merged.
import type {CurrentSettings} from './settings.js';
import type {CurrentState, LayerRow, MinerRow} from './state.js';
import type {AssignmentRow} from './state-merge.js';

/** The smallest count that reaches `share` of `n` (at least 1). */
export const quorum = (share: number, n: number): number => Math.max(1, Math.ceil(share * n - 1e-9));

/** A deterministic shuffle (LCG), so a layer's plan is the same on every call and after a restart. */
function shuffled<T>(items: T[], seed: number): T[] {
	const out = [...items];
	let s = seed >>> 0 || 1;
	for (let i = out.length - 1; i > 0; i--) {
		s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
		const j = Math.floor((s / 4294967296) * (i + 1));
		[out[i], out[j]] = [out[j]!, out[i]!];
	}
	return out;
}

/**
 * Chunks 0..numPartitions-1 spread round robin over the submitters; with two or more, each chunk
 * goes to a pair (each sees the other as other_miner_hotkey), so one missing miner loses no chunk.
 */
export function chunkPlan(hotkeys: string[], numPartitions: number, seed: number): AssignmentRow[] {
	const order = shuffled([...hotkeys].sort(), seed);
	const n = order.length;
	if (n === 0) return [];
	const rows: AssignmentRow[] = [];
	for (let c = 0; c < numPartitions; c++) {
		const a = order[c % n]!;
		const b = n > 1 ? order[(c + 1) % n]! : null;
		rows.push({chunk: c, hotkey: a, other: b});
		if (b) rows.push({chunk: c, hotkey: b, other: a});
	}
	return rows;
}

/** Applies every transition that is due; returns log lines. */
export function advanceCurrentPhases(state: CurrentState, s: CurrentSettings, now: number): string[] {
	const log: string[] = [];
	const active = (m: MinerRow) => now - m.last_seen <= s.miner_inactive_s * 1000;
	const ready = (m: MinerRow) => active(m) && m.backwards_since_reset >= s.batches_before_merging;
	const eligible = (layer: number) => state.minersInLayer(layer).filter(ready);
	state.tx(() => {
		const epoch = state.run().epoch;
		const finishMerge = (l: LayerRow, why: string) => {
			const chunks = state.merge.promote(l.layer, epoch);
			state.resetBackwards(l.layer);
			state.setPhase(l.layer, 'training', now, false);
			state.markCycleMerged();
			log.push(`layer ${l.layer}: ${why}: ${chunks}/${s.num_partitions} chunks merged for epoch ${epoch}, training`);
		};
		for (const l of state.layers()) {
			if (l.phase === 'training' || now - l.phase_since <= s.phase_timeout_s * 1000) continue;
			if (l.phase === 'merging_partitions' && state.merge.mergedChunks(l.layer, epoch) > 0) {
				finishMerge(l, 'phase timeout');
				continue;
			}
			state.merge.clearEpoch(l.layer, epoch);
			state.setPhase(l.layer, 'training', now, false);
			log.push(`layer ${l.layer}: phase timeout in ${l.phase}, back to training`);
		}
		if (!state.run().cycle_open) {
			const miners = state.miners().filter(active);
			if (miners.length > 0 && miners.filter(ready).length >= quorum(s.upload_threshold, miners.length)) {
				let started = 0;
				for (const l of state.layers()) {
					const n = eligible(l.layer).length;
					if (n === 0) continue; // nobody here can submit: the layer keeps training
					state.setPhase(l.layer, 'weights_uploading', now, true);
					started++;
					log.push(`layer ${l.layer}: weights_uploading (${n} eligible)`);
				}
				if (started > 0) state.setCycle(true, false);
			}
		}
		for (const l of state.layers()) {
			if (l.phase === 'weights_uploading') {
				const subs = state.merge.submissions(l.layer, epoch);
				if (subs.length > 0 && subs.length >= quorum(s.merge_threshold, eligible(l.layer).length)) {
					const plan = chunkPlan(subs.map(x => x.hotkey), s.num_partitions, l.layer * 7919 + epoch * 104_729 + 1);
					state.merge.assign(l.layer, epoch, plan);
					state.setPhase(l.layer, 'merging_partitions', now, true);
					log.push(`layer ${l.layer}: merging_partitions (${subs.length} submitters, ${s.num_partitions} chunks)`);
				}
			} else if (l.phase === 'merging_partitions') {
				if (state.merge.mergedChunks(l.layer, epoch) >= quorum(s.partitions_threshold, s.num_partitions)) finishMerge(l, 'merged');
			}
		}
		const run = state.run();
		if (run.cycle_open && state.layers().every(l => !l.in_cycle)) {
			if (run.cycle_merged) state.nextEpoch();
			state.setCycle(false, false);
			log.push(run.cycle_merged ? `run: epoch ${run.epoch + 1}` : 'run: cycle ended without a merge, epoch unchanged');
		}
	});
	return log;
}
