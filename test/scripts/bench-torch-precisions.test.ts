// The GPU run's PyTorch side, checked on the CPU: bench_iota_torch.py times fp32 and PyTorch's bf16 autocast per case
// (rows pytorch-cpu and pytorch-cpu-bf16; on cuda pytorch-cuda-fp32 / pytorch-cuda-bf16), naming the device; a CPU
// fp32-only run keeps its old rows. The 1B stage cases are opt-in and their names select them.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {getPublicModel} from '../../source/training/llama3/config.js';
import {IOTA_INNER, stageBeta1} from '../../source/training/llama3/inner-optimizer.js';
import {findTorchPython, torchSkip} from '../training/torch_ref/bridge.js';
import {iotaCases, torchBackend} from '../../scripts/bench-iota.js';

const script = fileURLToPath(new URL('../../scripts/bench_iota_torch.py', import.meta.url));
const python = findTorchPython();

function run(precisions: string) {
	const {cfg, splits} = getPublicModel('tiny');
	const cases = splits.map((split, i) => ({case: `tiny/${split.kind}`, shape: 'B1 S8', cfg, split, batch: 1, seq: 8, noOptimizer: split.kind === 'body',
		optimizer: {...IOTA_INNER, beta1: stageBeta1(splits.length, i)}}));
	const r = spawnSync(python!, [script, '--device', 'cpu', '--steps', '1', '--precisions', precisions, '--cases', JSON.stringify(cases)], {encoding: 'utf8', timeout: 300_000});
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>);
}

test('PyTorch fp32 and bf16 autocast rows per case, with the device; fp32 alone keeps the old rows', {skip: torchSkip(python)}, () => {
	const both = run('fp32,bf16');
	assert.deepEqual(both.map(r => `${r.case} ${r.backend}`), ['tiny/head', 'tiny/body', 'tiny/tail'].flatMap(c => [`${c} pytorch-cpu`, `${c} pytorch-cpu-bf16`]));
	for (const r of both) {
		assert.equal(r.skipped, undefined, String(r.skipped));
		assert.ok((r.ms_per_step as number) > 0 && typeof r.device === 'string' && (r.device as string).length > 0);
		assert.equal(r.precision, (r.backend as string).endsWith('-bf16') ? 'bf16' : 'fp32');
		assert.equal(r.optimizer_ms === null, r.case === 'tiny/body');
	}
	const old = run('fp32');
	assert.deepEqual(old.map(r => r.backend), ['pytorch-cpu', 'pytorch-cpu', 'pytorch-cpu']);
	for (const r of old) for (const k of ['precision', 'device', 'max_memory_mb']) assert.ok(!(k in r), k);
	assert.equal(torchBackend('cuda', 'fp32'), 'pytorch-cuda-fp32');
	assert.equal(torchBackend('cuda', 'bf16'), 'pytorch-cuda-bf16');
});

test('IOTA\'s 1B stages are cases only when named, at the real 1B sizes', () => {
	const all = iotaCases({batch100m: 1, seq100m: 64, batchDevnet: 2, seqDevnet: 128, batch1b: 1, seq1b: 800});
	const oneB = all.filter(c => c.optIn);
	assert.deepEqual(oneB.map(c => c.case), ['iota-1B/head', 'iota-1B/body', 'iota-1B/tail']);
	assert.deepEqual(oneB.map(c => c.shape), ['B1 S800 E2048 L0-4 V128256 +NAdam', 'B1 S800 E2048 L4-12 V128256 +NAdam', 'B1 S800 E2048 L12-16 V128256 +NAdam']);
	assert.ok(all.filter(c => !c.optIn).every(c => !c.case.includes('1B')));
});
