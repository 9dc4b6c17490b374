// `iota-tui model` through the real CLI, checked by real PyTorch: state_dict names/shapes, round trips, and
// stage runs (forward, input and weight gradients) against the reference in test/training/torch_ref.
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {getPublicModel} from '../../source/training/llama3/config.js';
import {stageParams} from '../../source/training/llama3/params.js';
import {saveTorch, TorchOrderedDict, type TorchTensor} from '../../source/training/torch/index.js';
import {runCli} from '../helpers/cli.js';
import {findTorchPython, runRef, torchSkip} from '../training/torch_ref/bridge.js';

const python = findTorchPython();
const skip = torchSkip(python);
const dir = mkdtempSync(join(tmpdir(), 'iota-model-'));
after(() => rmSync(dir, {recursive: true, force: true}));
const TOL = 1e-4;

async function ok(args: string[]): Promise<string> {
	const r = await runCli(['model', ...args], {timeoutMs: 300_000});
	assert.equal(r.code, 0, r.stderr);
	return r.stdout;
}

async function refused(args: string[], pattern: RegExp): Promise<void> {
	const r = await runCli(['model', ...args]);
	assert.notEqual(r.code, 0, r.stdout);
	assert.equal(r.stderr.trim().split('\n').length, 1, `one-line error expected, got:\n${r.stderr}`);
	assert.match(r.stderr, pattern);
}

test('model export of the 100M head: torch.load(weights_only=True) sees exactly the head module\'s names and shapes', {skip, timeout: 300_000}, async () => {
	const file = join(dir, 'head100M.pt');
	await ok(['export', '--config', '100M', '--layer', '0', '--out', file]);
	const {cfg, splits} = getPublicModel('100M');
	const torch = JSON.parse(runRef(python!, ['statedict', file], JSON.stringify({cfg, split: splits[0]}))) as
		{type: string; module: Array<[string, number[]]>; file: Array<[string, number[], string]>};
	assert.equal(torch.type, 'OrderedDict');
	const mine = stageParams(cfg, splits[0]!).map(p => [p.name, p.shape]);
	assert.deepEqual(torch.module, mine, 'the PyTorch reference module and stageParams disagree');
	assert.deepEqual(torch.file.map(([n, s]) => [n, s]), mine);
	assert.ok(torch.file.every(([, , d]) => d === 'torch.float32'));
	assert.ok(torch.file.some(([n]) => n === 'trf_blocks.0.att.W_key.weight'));
});

test('model export -> import round trip (fp32 and bf16), with a one-line summary and --json', async () => {
	for (const dtype of ['fp32', 'bf16']) {
		const file = join(dir, `devnet1-${dtype}.pt`);
		await ok(['export', '--config', 'devnet', '--layer', '1', '--seed', '7', '--dtype', dtype, '--out', file]);
		const line = await ok(['import', '--config', 'devnet', '--layer', '1', '--in', file]);
		assert.match(line, /^ok: .* devnet body .* finite\n$/);
		const json = JSON.parse(await ok(['import', '--config', 'devnet', '--layer', '1', '--in', file, '--json']));
		assert.equal(json.kind, 'body');
		assert.equal(json.tensors, stageParams(getPublicModel('devnet').cfg, getPublicModel('devnet').splits[1]!).length);
		assert.deepEqual(json.dtypes, [dtype === 'bf16' ? 'bfloat16' : 'float32']);
		assert.deepEqual(json.forward, {input: [1, 4, 16], output: [1, 4, 16], finite: true});
	}
	// The head's file is not the body's.
	await refused(['import', '--config', 'devnet', '--layer', '0', '--in', join(dir, 'devnet1-fp32.pt')], /missing key "tok_emb\.weight"|unexpected key/);
});

test('model import refuses a missing key, a wrong shape, an extra key and a non-float dtype in one line', async () => {
	const {cfg, splits} = getPublicModel('tiny');
	const params = stageParams(cfg, splits[2]!);
	const good = () => {
		const sd = new TorchOrderedDict();
		for (const p of params) sd.set(p.name, {dtype: 'float32', shape: p.shape, data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)).fill(0.01)});
		return sd;
	};
	const save = (name: string, sd: TorchOrderedDict) => { const f = join(dir, name); writeFileSync(f, saveTorch(sd)); return f; };
	const args = (f: string) => ['import', '--config', 'tiny', '--layer', '2', '--in', f];
	await ok(args(save('good.pt', good())));
	const missing = good(); missing.delete('final_norm.weight');
	await refused(args(save('missing.pt', missing)), /missing key "final_norm\.weight"/);
	const shape = good(); shape.set('out_head.weight', {dtype: 'float32', shape: [101, 63], data: new Float32Array(101 * 63)});
	await refused(args(save('shape.pt', shape)), /"out_head\.weight" has shape \[101, 63\], expected \[101, 64\]/);
	const extra = good(); extra.set('trf_blocks.9.norm1.weight', {dtype: 'float32', shape: [64], data: new Float32Array(64)});
	await refused(args(save('extra.pt', extra)), /unexpected key "trf_blocks\.9\.norm1\.weight"/);
	const ints = good(); ints.set('final_norm.weight', {dtype: 'int64', shape: [64], data: new BigInt64Array(64)} as TorchTensor);
	await refused(args(save('ints.pt', ints)), /"final_norm\.weight" has dtype int64/);
});

test('model config --config 1B --json has IOTA\'s model_cfg keys and the splits; unknown names list the known', async () => {
	const c = JSON.parse(await ok(['config', '--config', '1B', '--json']));
	assert.deepEqual(Object.keys(c), ['vocab_size', 'context_length', 'orig_context_length', 'emb_dim', 'bottleneck_dim', 'n_heads',
		'n_layers', 'hidden_dim', 'n_kv_groups', 'rope_base', 'rope_freq', 'splits']);
	assert.deepEqual(c.rope_freq, {factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_context_length: 8192});
	assert.equal(c.emb_dim, 2048);
	assert.deepEqual(c.splits, [{kind: 'head', start: 0, end: 4}, {kind: 'body', start: 4, end: 12}, {kind: 'tail', start: 12, end: 16}]);
	assert.match(await ok(['config', '--config', 'tiny']), /layer\s+kind\s+blocks[\s\S]*tail\s+\[2, 4\)/);
	await refused(['config', '--config', '2B'], /unknown config "2B": use one of 100M, 1B, .*devnet, tiny/);
	await refused(['export', '--config', 'tiny', '--layer', '3', '--out', join(dir, 'x.pt')], /--layer 3 is out of range: tiny has stages 0-2/);
	await refused(['export', '--config', '100B', '--layer', '0', '--out', join(dir, 'x.pt')], /GiB budget/);
});

type Check = {output: number; output_shape_match: boolean; input_grad: number | null; input_grad_is_none: boolean; param_grad: number; none_match: boolean; dtypes: string[]};

for (const [name, layer, inputDtype] of [
	['tiny', 0, 'float32'], ['tiny', 1, 'float32'], ['tiny', 2, 'float32'],
	['devnet', 0, 'float32'], ['devnet', 1, 'bfloat16'], ['devnet', 2, 'bfloat16'],
] as const) {
	const split = getPublicModel(name).splits[layer]!;
	test(`model run ${name} ${split.kind} (${inputDtype} input): output and gradients equal PyTorch's on the same .pt files`, {skip, timeout: 300_000}, async () => {
		const d = mkdtempSync(join(dir, `${name}${layer}-`));
		const cfg = JSON.parse(await ok(['config', '--config', name, '--json']));
		const {splits, ...modelCfg} = cfg;
		writeFileSync(join(d, 'manifest.json'), JSON.stringify({cfg: modelCfg, split: splits[layer], batch: 2, seq: 12, seed: 3 + layer, input_dtype: inputDtype}));
		await ok(['export', '--config', name, '--layer', String(layer), '--out', join(d, 'export.pt')]);
		runRef(python!, ['ptprep', d]); // PyTorch-made weights (norm gains off 1), input and output gradient
		const base = ['run', '--config', name, '--layer', String(layer), '--weights', join(d, 'weights.pt'), '--input', join(d, 'input.pt')];
		await ok([...base, '--grad', join(d, 'grad.pt'), '--out', join(d, 'out.pt')]);
		const r = JSON.parse(runRef(python!, ['ptcheck', d])) as Check;
		assert.ok(r.output_shape_match);
		assert.ok(r.output < TOL, `output rel. error ${r.output}`);
		if (split.kind === 'head') assert.ok(r.input_grad_is_none, 'the head\'s input (token ids) has no gradient');
		else assert.ok(r.input_grad! < TOL, `input grad rel. error ${r.input_grad}`);
		assert.ok(r.param_grad < TOL, `param grad rel. error ${r.param_grad}`);
		assert.ok(r.none_match, 'param_grads names or None entries differ from PyTorch');
		assert.deepEqual(r.dtypes, ['torch.float32']);
		// Forward alone writes a single tensor; --dtype bf16 writes it as bf16.
		const summary = JSON.parse(await ok([...base, '--out', join(d, 'fwd.pt'), '--dtype', 'bf16', '--json']));
		const width = split.kind === 'tail' ? modelCfg.vocab_size : modelCfg.bottleneck_dim;
		assert.deepEqual(summary.output, [2, 12, width]);
	});
}

test('model run refuses an input of the wrong shape in one line', async () => {
	const w = join(dir, 'tiny1.pt');
	await ok(['export', '--config', 'tiny', '--layer', '1', '--out', w]);
	const bad = join(dir, 'bad-input.pt');
	writeFileSync(bad, saveTorch({dtype: 'float32', shape: [1, 4, 64], data: new Float32Array(256)}));
	await refused(['run', '--config', 'tiny', '--layer', '1', '--weights', w, '--input', bad, '--out', join(dir, 'o.pt')], /body input must be activations \[B, S, 16\], got shape \[1, 4, 64\]/);
});
