// The learning-rate schedule the orchestrator runs (v1-like): warm-up, a constant plateau, then a
// macro cosine from 1 to lr_final_factor multiplied by a saw-tooth of lr_saw_cycle steps.
import type {OrchestratorSettings} from '../orchestrator/settings.js';

export function learningRate(s: OrchestratorSettings, step: number): number {
	const base = s.learning_rate;
	if (step < s.lr_warmup_steps) return (base * (step + 1)) / s.lr_warmup_steps;
	const decayStart = s.lr_warmup_steps + s.lr_const_steps;
	if (step < decayStart) return base;
	const span = Math.max(1, s.lr_total_steps - decayStart);
	const t = Math.min(1, (step - decayStart) / span);
	const macro = s.lr_final_factor + (1 - s.lr_final_factor) * 0.5 * (1 + Math.cos(Math.PI * t));
	const inCycle = ((step - decayStart) % s.lr_saw_cycle) / s.lr_saw_cycle;
	const saw = 1 - (1 - s.lr_final_factor) * inCycle;
	return base * macro * saw;
}
