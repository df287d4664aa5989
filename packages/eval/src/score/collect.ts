import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { RhoError } from '@rho/core/base';
import { parseOutputName } from '../outputs/layout.ts';

export interface OutputFile {
  /** Absolute path of the outputs jsonl. */
  path: string;
  /** Path relative to the input root, kept under --out. */
  rel: string;
}

/**
 * The outputs files named by a command-line argument: the file itself, or every `*.jsonl` under a
 * directory that follows the harness's naming (metrics, journals and earlier `rescored/` trees skipped).
 * Re-scored files go, by default, to a `rescored/` folder beside the input (beside the file, or
 * beside the directory).
 */
export function collectOutputFiles(input: string): { root: string; files: OutputFile[]; defaultOut: string } {
  const abs = resolve(input);
  if (!existsSync(abs)) throw new RhoError('NOT_FOUND', `no such file or directory`, { file: input });
  if (statSync(abs).isFile()) return { root: dirname(abs), files: [{ path: abs, rel: basename(abs) }], defaultOut: join(dirname(abs), 'rescored') };
  const files: OutputFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'rescored' && !name.startsWith('.')) walk(p);
      } else if (parseOutputName(name)) {
        files.push({ path: p, rel: relative(abs, p) });
      }
    }
  };
  walk(abs);
  if (files.length === 0) {
    throw new RhoError('NOT_FOUND', 'no outputs files (test_<prompt>_..._e<end>.jsonl) under this directory', { file: input });
  }
  return { root: abs, files, defaultOut: join(dirname(abs), 'rescored') };
}
