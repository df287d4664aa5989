import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCheckpoint, llama2TokenizerPath, presetConfig, presetHfConfig } from '@rho/core';
import { loadProgressBar } from '@rho/core/base';

/** Where `pnpm bench infer --preset NAME` keeps its random BF16 checkpoint between runs. */
export function presetCheckpointDir(preset: string): string {
  return join(tmpdir(), 'rho-bench', `${preset}-bf16`);
}

/**
 * A random BF16 checkpoint of a Hub preset's exact architecture and config.json (as `pnpm core init
 * --preset NAME --dtype bf16 --shards 2` writes it), written once and reused. initCheckpoint renames
 * a complete directory into place, so a directory with a config.json is a whole checkpoint.
 */
export async function presetCheckpoint(preset: string, opts: { shards?: number; log?: (line: string) => void } = {}): Promise<string> {
  const dir = presetCheckpointDir(preset);
  if (existsSync(join(dir, 'config.json'))) return dir;
  opts.log?.(`writing a random ${preset} BF16 checkpoint to ${dir} (once; later runs reuse it)`);
  const bar = loadProgressBar(`init ${preset}`);
  try {
    await initCheckpoint({
      config: presetConfig(preset),
      hfConfig: presetHfConfig(preset),
      out: dir,
      seed: 0,
      dtype: 'BF16',
      shards: opts.shards ?? 2,
      tokenizerPath: llama2TokenizerPath(),
      onProgress: bar.onLoadProgress,
    });
  } finally {
    bar.stop();
  }
  return dir;
}
