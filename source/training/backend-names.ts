// Backend names, in auto order; kept free of TF.js so the CLI can parse flags without loading it.
import {UserError} from '../errors.js';

export const backendNames = ['cuda', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];
export type BackendChoice = BackendName | 'auto';

export function parseBackend(value: string): BackendChoice {
	if (value === 'auto' || (backendNames as readonly string[]).includes(value)) return value as BackendChoice;
	throw new UserError(`unknown backend "${value}" (choose auto, ${backendNames.join(', ')})`, 2);
}
