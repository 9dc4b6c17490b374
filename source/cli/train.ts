// `iota-tui train`: trains the whole model in one process (in the training worker), no orchestrator.
import {Command, Option} from 'commander';
import {UserError} from '../errors.js';
import {intArg, numberArg} from './options.js';
import {backendNames, parseBackend} from '../training/backend-names.js';
import {configs, getConfig, type ModelConfig} from '../training/config.js';


export function addTrainCommand(program: Command): void {
	program
		.command('train')
		.description('train the whole model in this process (single-process baseline, no orchestrator)')
		.option('--config <name>', `model config (${Object.keys(configs).join(', ')})`, 'devnet')
		.option('--steps <n>', 'optimizer steps to run', intArg(1), 200)
		.option('--json', 'print one JSON object per step (NDJSON) instead of readable lines')
		.addOption(new Option('--backend <name>', `TF.js backend: auto or one of ${backendNames.join(', ')}; a forced one that cannot load is an error`).default('auto').argParser(parseBackend))
		.option('--threads <n>', 'CPU threads for the wasm backend (default: IOTA_TUI_THREADS, else every core; 1 = one thread)', intArg(1, 8))
		.option('--lr <x>', 'learning rate (constant)', numberArg('non-negative'), 3e-3)
		.option('--batch-size <n>', 'sequences per micro-batch (default: from the config)', intArg(1))
		.option('--seq-len <n>', 'tokens per sequence, at most the config\'s (default: the config\'s)', intArg(2))
		.option('--accumulate <n>', 'micro-batches per optimizer step (gradient accumulation)', intArg(1), 1)
		.option('--eval-every <n>', 'steps between held-out loss checks (0: only first and last)', intArg(0), 50)
		.option('--corpus <path>', 'text file or directory of text files', undefined)
		.option('--tokenizer <file>', 'Hugging Face tokenizer.json (default: bytes, vocab 257)')
		.option('--seed <n>', 'seed for weights and batch order', intArg(0), 42)
		.action(async (opts) => {
			const base: ModelConfig = getConfig(opts.config);
			if (opts.seqLen !== undefined && opts.seqLen > base.seqLen) throw new UserError(`--seq-len ${opts.seqLen} exceeds config ${base.name}'s ${base.seqLen}`, 2);
			// The training worker reads it when it starts.
			if (opts.threads !== undefined) process.env.IOTA_TUI_THREADS = String(opts.threads);
			const controller = new AbortController();
			const stop = () => controller.abort();
			process.once('SIGINT', stop);
			try {
				await (await import('../training/train-loop.js')).runTraining({
					config: base, steps: opts.steps, backend: opts.backend, lr: opts.lr, batchSize: opts.batchSize,
					seqLen: opts.seqLen, accumulate: opts.accumulate, evalEvery: opts.evalEvery, corpus: opts.corpus,
					tokenizer: opts.tokenizer, seed: opts.seed, signal: controller.signal,
					onStep: line => process.stdout.write(opts.json ? JSON.stringify(line) + '\n' : readable(line)),
					onInfo: msg => process.stderr.write(msg + '\n'),
				});
			} finally {
				process.removeListener('SIGINT', stop);
			}
		});
}

const readable = (l: {step: number; loss: number; tokens_per_s: number; heldout_loss?: number}) =>
	`step ${String(l.step).padStart(5)}  loss ${l.loss.toFixed(4)}  ${Math.round(l.tokens_per_s)} tok/s` +
	(l.heldout_loss !== undefined ? `  held-out ${l.heldout_loss.toFixed(4)}` : '') + '\n';
