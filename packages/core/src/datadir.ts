import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RhoError } from './errors.ts';

/** Repository root, found from this file's location (packages/core/src). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** Where `pnpm data fetch` puts the benchmark files by default. */
export const DEFAULT_DATA_DIR = resolve(REPO_ROOT, 'data/upstream');

/**
 * The data directory: the `--data-dir` flag, else RHO_DATA_DIR, else `data/upstream` in the
 * repository. It holds `data/<name>/test.jsonl`, `prompts/<mode>/*.md`, `corpus/`, `reference-outputs/`.
 */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env, opts: { mayBeMissing?: boolean } = {}): string {
  const dir = resolve(flag ?? env.RHO_DATA_DIR ?? DEFAULT_DATA_DIR);
  // built-in benchmarks need no files: a fresh clone evaluates on them before any download
  if (opts.mayBeMissing && !existsSync(dir)) return dir;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new RhoError('NOT_FOUND', `data directory ${dir} does not exist`, {
      hint:
        'run `pnpm data fetch` to download the benchmark files into data/upstream, ' +
        'or point --data-dir / RHO_DATA_DIR at a copy (for example ../shared/upstream)',
    });
  }
  return dir;
}
