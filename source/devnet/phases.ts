// Phase machine per layer (is_training -> weights_uploading -> miners_merging_partitions ->
// is_training) and the merge plan. Called after every state change and on every request.
import type {OrchestratorSettings} from '../orchestrator/settings.js';
import type {OrchestratorState} from './state.js';

/** num_sections for n miners: one section per pair, at least 1. */
export const sectionsFor = (n: number): number => Math.max(1, (n * (n - 1)) / 2);

/** Every pair of submitters, in a deterministic shuffled order (seeded by layer and epoch). */
export function mergePlan(hotkeys: string[], numSections: number, seed: number): string[][] {
	const sorted = [...hotkeys].sort();
	if (sorted.length === 0) return [];
	if (sorted.length === 1) return [[sorted[0]!]];
	const pairs: string[][] = [];
	for (let i = 0; i < sorted.length; i++) for (let j = i + 1; j < sorted.length; j++) pairs.push([sorted[i]!, sorted[j]!]);
	let s = seed >>> 0 || 1;
	const rand = () => {
		s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
		return s / 4294967296;
	};
	for (let i = pairs.length - 1; i > 0; i--) {
		const j = Math.floor(rand() * (i + 1));
		[pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
	}
	return pairs.slice(0, numSections);
}

const eligible = (state: OrchestratorState, layer: number, s: OrchestratorSettings) =>
	state.minersInLayer(layer).filter(m => m.backwards_since_reset >= s.batches_before_merging);

/** Applies every transition that is due. Returns lines describing what changed (for the log). */
export function advancePhases(state: OrchestratorState, s: OrchestratorSettings, now: number): string[] {
	const log: string[] = [];
	state.tx(() => {
		// A layer stuck outside training for longer than the phase timeout goes back to training.
		for (const l of state.layers()) {
			if (l.phase !== 'is_training' && now - l.phase_since > s.phase_timeout_s * 1000) {
				state.clearEpoch(l.layer, l.epoch);
				state.setPhase(l.layer, 'is_training', now);
				log.push(`layer ${l.layer}: phase timeout in ${l.phase}, back to is_training`);
			}
		}
		// Training -> weights_uploading, for all layers at once (as v1), when enough of all miners
		// have done BATCHES_BEFORE_MERGING backward passes since the last merge.
		const layers = state.layers();
		const miners = state.miners();
		if (layers.every(l => l.phase === 'is_training') && miners.length > 0) {
			const ready = miners.filter(m => m.backwards_since_reset >= s.batches_before_merging).length;
			if (ready >= s.upload_threshold * miners.length) {
				for (const l of layers) {
					const n = eligible(state, l.layer, s).length;
					if (n === 0) continue; // nobody in this layer can submit: it keeps training
					state.setPhase(l.layer, 'weights_uploading', now, sectionsFor(n));
					log.push(`layer ${l.layer}: weights_uploading (${n} eligible, ${sectionsFor(n)} sections)`);
				}
			}
		}
		for (const l of state.layers()) {
			if (l.phase === 'weights_uploading') {
				const submitters = state.submissions(l.layer, l.epoch).map(x => x.hotkey);
				const needed = s.merge_threshold * eligible(state, l.layer, s).length;
				if (submitters.length > 0 && submitters.length >= needed) {
					const plan = mergePlan(submitters, l.num_sections, l.layer * 7919 + l.epoch * 104729 + 1);
					plan.forEach((pair, chunk) => pair.forEach(hk => state.addAssignment(l.layer, l.epoch, chunk, hk)));
					state.setPhase(l.layer, 'miners_merging_partitions', now);
					log.push(`layer ${l.layer}: miners_merging_partitions (${submitters.length} submitters, ${plan.length} chunks assigned)`);
				}
			} else if (l.phase === 'miners_merging_partitions') {
				const merged = state.partitionCount(l.layer, l.epoch);
				if (merged > s.partitions_threshold * l.num_sections) {
					state.promotePartitions(l.layer, l.epoch);
					state.archiveLayer(l.layer);
					state.setPhase(l.layer, 'is_training', now);
					log.push(`layer ${l.layer}: merged ${merged}/${l.num_sections} sections, epoch ${l.epoch + 1}, is_training`);
				}
			}
		}
	});
	return log;
}
