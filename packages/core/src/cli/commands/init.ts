import { existsSync, readdirSync } from 'node:fs';
import { Command, Option } from 'commander';
import { RhoError } from '../../errors.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';
import { loadProgressBar } from '../progress.ts';
import { readConfigFile } from '../../config/llama-config.ts';
import { ALL_PRESET_NAMES, HUB_PRESET_NAMES, isHubPreset, presetConfig, presetHfConfig } from '../../config/presets.ts';
import { initCheckpoint, llama2TokenizerPath } from '../../checkpoint/init.ts';
import type { FloatDtype } from '../../safetensors/dtype.ts';

const DTYPES: Record<string, FloatDtype> = { bf16: 'BF16', f16: 'F16', f32: 'F32' };

const size = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** `pnpm core init`: a randomly initialised checkpoint, the starting point of training or a stand-in for a Hub model. */
export default new Command('init')
  .description(
    'write a randomly initialised Llama/Mistral checkpoint directory in the Hugging Face layout (config.json, safetensors weights, tokenizer.json). ' +
      `Hub presets (${HUB_PRESET_NAMES.join(', ')}) have the exact architecture and config.json of those models and stream their weights to disk without holding them in memory`,
  )
  .addOption(
    new Option(
      '--preset <name>',
      `architecture preset: tiny|small|base for training from scratch, or ${HUB_PRESET_NAMES.join('|')} (a Hub model's exact architecture)`,
    )
      .choices(ALL_PRESET_NAMES as string[])
      .conflicts('config'),
  )
  .option('--config <config.json>', 'a Hugging Face Llama or Mistral config.json instead of a preset')
  .addOption(
    new Option(
      '--dtype <dtype>',
      "storage dtype of the weights (default: the config's torch_dtype: bf16 for the Hub presets, f32 for tiny|small|base)",
    ).choices(Object.keys(DTYPES)),
  )
  .option(
    '--shards <n>',
    'split the weights into n files model-0000i-of-0000n.safetensors of similar size, with model.safetensors.index.json',
    positiveInt('--shards'),
    1,
  )
  .option(
    '--tokenizer <tokenizer.json>',
    'tokenizer to copy in; its special token ids go into config.json (default for the Hub presets: the Llama-2 tokenizer, 32000 ids)',
  )
  .requiredOption('--out <dir>', 'checkpoint directory to create')
  .option('--seed <n>', 'random seed', nonNegativeInt('--seed'), 0)
  .option('--force', 'replace an existing non-empty directory')
  .action(
    async (opts: { preset?: string; config?: string; dtype?: string; shards: number; tokenizer?: string; out: string; seed: number; force?: boolean }) => {
      if (!opts.preset && !opts.config)
        throw new RhoError('BAD_CONFIG', `give --preset ${ALL_PRESET_NAMES.join('|')} or --config <config.json>`, { field: 'preset' });
      if (existsSync(opts.out) && readdirSync(opts.out).length > 0 && !opts.force) {
        throw new RhoError('BAD_CONFIG', 'output directory exists and is not empty', { file: opts.out, hint: 'pass --force to replace it' });
      }
      const hub = opts.preset !== undefined && isHubPreset(opts.preset);
      const config = opts.preset ? presetConfig(opts.preset) : readConfigFile(opts.config!);
      const tokenizerPath = opts.tokenizer ?? (hub ? llama2TokenizerPath() : undefined);
      if (!tokenizerPath) process.stderr.write('note: no --tokenizer given; the checkpoint has no tokenizer.json until one is added\n');
      const bar = loadProgressBar('init', { unit: 'MB' });
      const started = Date.now();
      const done = await initCheckpoint({
        config,
        out: opts.out,
        seed: opts.seed,
        tokenizerPath,
        dtype: opts.dtype ? DTYPES[opts.dtype] : undefined,
        shards: opts.shards,
        hfConfig: hub ? presetHfConfig(opts.preset!) : undefined,
        onProgress: bar.onLoadProgress,
      });
      bar.stop();
      const seconds = (Date.now() - started) / 1000;
      const weights = done.files.filter((f) => f.endsWith('.safetensors')).length;
      process.stdout.write(
        `wrote ${opts.out}: ${(done.parameters / 1e6).toFixed(2)}M parameters (${done.parameters}), ${size(done.bytes)} of ${done.dtype} weights in ${weights} file${weights > 1 ? 's' : ''}, seed ${opts.seed}, ${seconds.toFixed(1)} s\n`,
      );
    },
  );
