// Runs torch fuzz cases in a worker thread (so a hang can be cut off and an out-of-memory is seen
// as the worker dying): workerData {category, reduced, from}; posts {i, verdict, message} per case.
import {parentPort, workerData} from 'node:worker_threads';
import {UserError} from '../source/errors.js';
import {loadTorch, TorchFormatError} from '../source/training/torch/index.js';
import {decodeWire, wireLimits} from '../source/training/wire.js';
import {torchCategories} from './torch-categories.js';
import type {TorchCase} from './torch-cases.js';

export type Verdict = 'rejected' | 'accepted' | 'valid' | 'crashed';
export type CaseResult = {i: number; verdict: Verdict; message: string};

const oneLine = (m: string) => m.length > 0 && !m.includes('\n');

/** The reader must refuse with a one-line TorchFormatError; decodeWire with a one-line UserError. */
function check(c: TorchCase): {verdict: Verdict; message: string} {
	const bytes = c.bytes();
	try {
		loadTorch(bytes, wireLimits(bytes));
	} catch (error) {
		const m = error instanceof Error ? error.message : String(error);
		if (!(error instanceof TorchFormatError) || !oneLine(m)) return {verdict: 'crashed', message: `loadTorch threw ${(error as Error)?.name}: ${m.slice(0, 200)}`};
	}
	try {
		decodeWire(bytes, c.expect);
		return {verdict: c.mayBeValid ? 'valid' : 'accepted', message: 'decoded'};
	} catch (error) {
		const m = error instanceof Error ? error.message : String(error);
		if (!(error instanceof UserError) || !oneLine(m)) return {verdict: 'crashed', message: `decodeWire threw ${(error as Error)?.name}: ${m.slice(0, 200)}`};
		return {verdict: 'rejected', message: m};
	}
}

const {category, reduced, from} = workerData as {category: string; reduced: boolean; from: number};
const cases = torchCategories(reduced).find(([name]) => name === category)![1];
for (let i = from; i < cases.length; i++) {
	let r: {verdict: Verdict; message: string};
	try {
		r = check(cases[i]!);
	} catch (error) {
		r = {verdict: 'crashed', message: `the case itself failed: ${(error as Error).message}`};
	}
	parentPort!.postMessage({i, ...r} satisfies CaseResult);
}
