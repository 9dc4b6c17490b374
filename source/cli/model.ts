// `iota-tui model`: IOTA's Llama-3 stages as PyTorch state_dicts (export, import, config, run); work loads on use.
import {InvalidArgumentError, Option, type Command} from 'commander';
import {intArg, numberArg} from './options.js';

const actions = () => import('./model-actions.js');
const configOption = () => new Option('--config <name>', 'Llama-3 config: 100M, 1B, 3B, 5B, 7B, 8B, 12B, 15B, 21B, 45B, 100B, devnet or tiny').makeOptionMandatory();
const layerOption = () => new Option('--layer <n>', "stage index in the config's splits (0 = head)").argParser(intArg(0)).makeOptionMandatory();
const dtypeArg = (value: string) => {
	if (value !== 'fp32' && value !== 'bf16') throw new InvalidArgumentError('expected fp32 or bf16.');
	return value;
};
const dtypeOption = () => new Option('--dtype <type>', 'tensor type written: fp32 or bf16').default('fp32').argParser(dtypeArg);
const maxGibOption = () => new Option('--max-gib <n>', "refuse stages whose fp32 weights need more memory than this (GiB)").default(2).argParser(numberArg('positive'));

export function addModelCommands(program: Command): void {
	const model = program.command('model').description("IOTA's Llama-3 pipeline stages as PyTorch files: export, import, config, run");
	model.command('export')
		.description("write a stage's seeded weights as a PyTorch state_dict (names as IOTA's stage module has them)")
		.addOption(configOption()).addOption(layerOption())
		.option('--seed <n>', 'weight seed', intArg(0), 42)
		.addOption(dtypeOption()).addOption(maxGibOption())
		.requiredOption('--out <file>', 'state_dict file to write (.pt)')
		.option('--json', 'print the summary as JSON')
		.action(async opts => (await actions()).exportStage(opts));
	model.command('import')
		.description('check a state_dict against a stage (names, shapes, dtypes), load it and run a tiny forward')
		.addOption(configOption()).addOption(layerOption())
		.requiredOption('--in <file>', 'state_dict file (.pt, torch.save of model.state_dict())')
		.addOption(maxGibOption())
		.option('--json', 'print the summary as JSON')
		.action(async opts => (await actions()).importStage(opts));
	model.command('config')
		.description("print a config with IOTA's model_cfg keys and its stage splits")
		.addOption(configOption())
		.option('--json', 'print JSON')
		.action(async opts => (await actions()).showConfig(opts));
	model.command('run')
		.description('run a stage forward (and backward with --grad) on a torch.saved input; write the result with torch.save')
		.addOption(configOption()).addOption(layerOption())
		.requiredOption('--weights <file>', 'state_dict file (.pt)')
		.requiredOption('--input <file>', 'head: int64 token ids [B, S]; others: float activations [B, S, bottleneck_dim]')
		.requiredOption('--out <file>', 'output file (.pt): the output tensor, or with --grad a dict {output, input_grad, param_grads}')
		.option('--grad <file>', "gradient of the output (same shape): also run backward")
		.addOption(dtypeOption()).addOption(maxGibOption())
		.option('--json', 'print the summary as JSON')
		.action(async opts => (await actions()).runStageCommand(opts));
}
