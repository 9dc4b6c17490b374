// Caps that keep a hostile torch file from using unbounded memory or time while it is read.
export type TorchLimits = {
	/** Largest input file, and largest sum of all entries after inflating. */
	maxTotalBytes: number;
	/** Most zip entries (a state_dict has one per tensor storage, plus data.pkl and version). */
	maxEntries: number;
	/** Largest data.pkl after inflating. */
	maxPickleBytes: number;
	/** Deepest nesting of MARKs and of containers inside containers. */
	maxDepth: number;
	/** Most elements in one tensor. */
	maxTensorElements: number;
};

export const defaultTorchLimits: TorchLimits = {
	maxTotalBytes: 8 * 2 ** 30,
	maxEntries: 100_000,
	maxPickleBytes: 64 * 2 ** 20,
	maxDepth: 64,
	maxTensorElements: 2 ** 32,
};

export function withDefaults(limits: Partial<TorchLimits> = {}): TorchLimits {
	return {...defaultTorchLimits, ...limits};
}
