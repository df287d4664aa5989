import { Command } from 'commander';
import { nonNegativeInt, num, positiveInt } from '@rho/core';
import { buildReport, DEFAULT_REPORT } from '../../report/build.ts';
import { ensureBackend } from '../backend.ts';

export default new Command('report')
  .description('one self-contained HTML file: loss curves, text shaded by excess loss, token categories across checkpoints')
  .argument('<runs...>', 'run directories (pnpm slm train --out)')
  .requiredOption('--out <file>', 'HTML file to write')
  .option('--sample-windows <n>', 'training windows analysed', positiveInt('--sample-windows'), DEFAULT_REPORT.sampleWindows)
  .option('--show-tokens <n>', 'tokens shown in the shaded text', nonNegativeInt('--show-tokens'), DEFAULT_REPORT.showTokens)
  .option('--threshold <x>', 'loss change that separates H→L / L→H from flat tokens', num('--threshold'), DEFAULT_REPORT.threshold)
  .option('--max-checkpoints <n>', 'checkpoints per run in the category analysis', positiveInt('--max-checkpoints'), DEFAULT_REPORT.maxCheckpoints)
  .action(async (runs: string[], o: { out: string; sampleWindows: number; showTokens: number; threshold: number; maxCheckpoints: number }) => {
    await ensureBackend();
    const r = await buildReport({ runs, ...o });
    process.stdout.write(`wrote ${r.path}\n`);
  });
