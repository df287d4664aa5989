import { existsSync, readdirSync } from 'node:fs';
import { Command, Option } from 'commander';
import { RhoError } from '../../errors.ts';
import { initBackend } from '../../backend/index.ts';
import { readConfigFile } from '../../config/llama-config.ts';
import { PRESET_NAMES, presetConfig } from '../../config/presets.ts';
import { initCheckpoint } from '../../checkpoint/init.ts';

/** `pnpm core init`: a randomly initialised checkpoint, the starting point of training. */
export default new Command('init')
  .description('write a randomly initialised Llama checkpoint directory (config.json, model.safetensors, tokenizer.json)')
  .addOption(new Option('--preset <name>', 'architecture preset').choices(PRESET_NAMES as string[]).conflicts('config'))
  .option('--config <config.json>', 'a Hugging Face Llama config.json instead of a preset')
  .option('--tokenizer <tokenizer.json>', 'tokenizer to copy in; its special token ids go into config.json')
  .requiredOption('--out <dir>', 'checkpoint directory to create')
  .option('--seed <n>', 'random seed', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new RhoError('BAD_CONFIG', `--seed must be a non-negative integer, got ${v}`, { field: 'seed' });
    return n;
  }, 0)
  .option('--force', 'replace an existing non-empty directory')
  .action(async (opts: { preset?: string; config?: string; tokenizer?: string; out: string; seed: number; force?: boolean }) => {
    if (!opts.preset && !opts.config) throw new RhoError('BAD_CONFIG', 'give --preset tiny|small|base or --config <config.json>', { field: 'preset' });
    if (existsSync(opts.out) && readdirSync(opts.out).length > 0 && !opts.force) {
      throw new RhoError('BAD_CONFIG', 'output directory exists and is not empty', { file: opts.out, hint: 'pass --force to replace it' });
    }
    await initBackend();
    const config = opts.preset ? presetConfig(opts.preset) : readConfigFile(opts.config!);
    if (!opts.tokenizer) process.stderr.write('note: no --tokenizer given; the checkpoint has no tokenizer.json until one is added\n');
    const done = await initCheckpoint({ config, out: opts.out, seed: opts.seed, tokenizerPath: opts.tokenizer });
    const params = done.vocabSize * done.hiddenSize * (done.tieWordEmbeddings ? 1 : 2) + done.numHiddenLayers * (done.hiddenSize * done.headDim * (2 * done.numAttentionHeads + 2 * done.numKeyValueHeads) + 3 * done.hiddenSize * done.intermediateSize + 2 * done.hiddenSize) + done.hiddenSize;
    process.stdout.write(`wrote ${opts.out}: ${(params / 1e6).toFixed(2)}M parameters, seed ${opts.seed}\n`);
  });
