// Final check of what the pickle built: only torch values, no cycles, nesting within the limit. Iterative,
// and each shared container is measured once, so a hostile DAG of shared lists costs linear time.
import {fail} from './errors.js';
import {isTensor, TorchOrderedDict, TorchTuple, type TorchValue} from './values.js';

function children(x: unknown): unknown[] | null {
	if (Array.isArray(x)) return x;
	if (x instanceof TorchTuple) return x.items;
	if (x instanceof TorchOrderedDict) return x.metadata === undefined ? [...x.values()] : [...x.values(), x.metadata];
	if (x instanceof Map) return [...x.values()];
	return null;
}

function checkLeaf(x: unknown): void {
	if (x === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof x) || x instanceof Uint8Array || isTensor(x)) return;
	fail(`torch file holds a bare ${(x as {path?: string}).path ?? (x as object).constructor?.name ?? typeof x} where a value belongs`);
}

export function checkResult(root: unknown, maxDepth: number): TorchValue {
	const height = new Map<unknown, number>();
	const stack: Array<{node: unknown; kids: unknown[]; next: number; max: number}> = [];
	const enter = (node: unknown): number | null => {
		const known = height.get(node);
		if (known !== undefined) return known;
		const kids = children(node);
		if (kids === null) { checkLeaf(node); return 0; }
		if (stack.some(f => f.node === node)) fail('torch file holds a container that contains itself');
		if (stack.length >= maxDepth) fail(`torch file nests containers deeper than ${maxDepth}`);
		stack.push({node, kids, next: 0, max: 0});
		return null;
	};
	const rootHeight = enter(root);
	while (stack.length) {
		const top = stack[stack.length - 1]!;
		if (top.next < top.kids.length) {
			const h = enter(top.kids[top.next++]);
			if (h !== null) top.max = Math.max(top.max, h);
			continue;
		}
		const h = top.max + 1;
		if (h > maxDepth) fail(`torch file nests containers deeper than ${maxDepth}`);
		height.set(top.node, h);
		stack.pop();
		if (stack.length) stack[stack.length - 1]!.max = Math.max(stack[stack.length - 1]!.max, h);
	}
	void rootHeight;
	return root as TorchValue;
}
