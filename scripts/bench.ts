/**
 * `pnpm bench <name> [args]`: runs scripts/bench/<name>.ts. Each benchmark prints a readable
 * table and, with --json, one JSON object with the same figures as its last line.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { RhoError, runMain } from '@rho/core/base';

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(join(here, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.includes('.test.') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h') {
  console.log(`usage: pnpm bench <name> [--json] [options]\n\nbenchmarks: ${names.join(', ')}`);
  process.exit(name ? 0 : 1);
}
// a missing data directory or a bad checkpoint: one line (and its hint), not a stack trace
runMain(async () => {
  const file = join(here, 'bench', `${name}.ts`);
  if (!existsSync(file)) throw new RhoError('BAD_CONFIG', `unknown benchmark '${name}'; known: ${names.join(', ')}`);
  process.argv = [process.argv[0]!, file, ...rest];
  await import(file);
}, `bench ${name}`);
