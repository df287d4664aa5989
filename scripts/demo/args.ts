import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RhoError } from '@rho/core/base';

/** node's parseArgs, with a misspelt or misused option reported as a usage error rather than a crash. */
export function parseCliArgs<T extends ParseArgsConfig>(config: T, prog: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    if (String((e as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) {
      throw new RhoError('BAD_CONFIG', (e as Error).message, { hint: `pnpm ${prog} --help lists the options` });
    }
    throw e;
  }
}
