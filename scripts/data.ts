/**
 * `pnpm data fetch|verify|groups`: the benchmark files of the data directory (see
 * data/manifest.json). The work is done in @rho/eval's datafetch module.
 */
import { runMain } from '@rho/core/base';
import { dataProgram } from '@rho/eval/datafetch';

runMain(async () => {
  const program = dataProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    // --help and --version end through commander's exit override
    if ((e as { code?: string }).code === 'commander.helpDisplayed' || (e as { code?: string }).code === 'commander.version') return;
    throw e;
  }
}, 'data');
