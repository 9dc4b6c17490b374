// The torch fuzz categories in order, each a list of cases (the reduced run takes an even sample).
import {bitflipCases, duplicateCases, lyingSizeCases, pickleOpcodeCases, shapeDtypeCases, truncatedCases, zipBombCases, type TorchCase} from './torch-cases.js';

const REDUCED_PER_CATEGORY = 40;

const sample = (cases: TorchCase[], n: number): TorchCase[] => (cases.length <= n ? cases : cases.filter((_, i) => i % Math.ceil(cases.length / n) === 0));

export function torchCategories(reduced: boolean): [string, TorchCase[]][] {
	const all: [string, TorchCase[]][] = [
		['pickle-opcodes', pickleOpcodeCases()],
		['zip-bomb', zipBombCases(reduced)],
		['shape-dtype', shapeDtypeCases()],
		['lying-sizes', lyingSizeCases()],
		['truncated', truncatedCases(reduced)],
		['duplicates', duplicateCases()],
		['bitflip', bitflipCases(reduced)],
	];
	return reduced ? all.map(([name, cases]) => [name, sample(cases, REDUCED_PER_CATEGORY)]) : all;
}
