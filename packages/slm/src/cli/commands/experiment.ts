import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { acquireOutputLock, REPO_ROOT, removeStaleTemps, resolveDataDir, setPrecision, type Precision } from '@rho/core';
import { DEFAULT_RECIPE, loadRecipe } from '../../experiment/recipe.ts';
import { recipeDocuments, runExperiment, type ExperimentResult } from '../../experiment/run.ts';
import { ensureBackend } from '../backend.ts';

export function printExperiment(r: ExperimentResult, asJson: boolean): void {
  const f = (x: number | null, d = 4) => (x === null ? 'n/a' : x.toFixed(d));
  const rows: Array<[string, string]> = [
    ['reference final val loss', f(r.reference_val_loss)],
    ['clm final val loss', f(r.clm_val_loss)],
    ['slm final val loss', f(r.slm_val_loss)],
    [`slm step reaching clm's final val loss`, r.slm_step_to_clm_final === null ? `never (in ${r.steps})` : `${r.slm_step_to_clm_final} of ${r.steps}`],
    ['speed-up (steps)', r.speedup === null ? 'n/a' : `${r.speedup.toFixed(2)}x`],
    ['noise share of training tokens', f(r.noise_share, 3)],
    ['noise rejection precision', f(r.noise_precision, 3)],
    ['noise rejection recall', f(r.noise_recall, 3)],
    ['wall time (s)', r.seconds.toFixed(1)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nslm experiment (${r.preset})\n${'-'.repeat(w + 20)}\n`);
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
  if (r.report) process.stdout.write(`report: ${r.report}\n`);
  if (asJson) process.stdout.write(`${JSON.stringify(r)}\n`);
}

export default new Command('experiment')
  .description('reference on clean GSM8K, score a noisy copy, train clm and slm from one initialisation, compare (recipe in packages/slm/experiments)')
  .option('--preset <name>', 'recipe preset: smoke (< 2 min) or full', 'full')
  .option('--recipe <file>', 'experiment recipe', DEFAULT_RECIPE)
  .option('--out <dir>', 'working directory (stages found there are reused)')
  .option('--data-dir <dir>', 'benchmark data directory (default RHO_DATA_DIR, then data/upstream)')
  .option('--no-report', 'skip the HTML report')
  .option('--json', 'print the figures as one JSON line at the end')
  .addOption(
    new Option(
      '--precision <p>',
      'matrix products of scoring and training in bf16 or fp32; auto: bf16 where the CPU has it (default RHO_PRECISION, else auto)',
    ).choices(['auto', 'bf16', 'fp32']),
  )
  .action(async (o: { preset: string; recipe: string; out?: string; dataDir?: string; report: boolean; json?: boolean; precision?: Precision }) => {
    const recipe = loadRecipe(o.recipe, o.preset);
    const dataDir = resolveDataDir(o.dataDir);
    if (o.precision) setPrecision(o.precision);
    await ensureBackend();
    const out = resolve(o.out ?? resolve(REPO_ROOT, 'runs', `experiment-${o.preset}`));
    const log = (l: string) => process.stderr.write(`${l}\n`);
    // one experiment per working directory: its stages write runs, scores and corpora in place
    const lock = acquireOutputLock(out, { warn: log });
    try {
      removeStaleTemps(out);
      const r = await runExperiment({
        preset: recipe.preset,
        presetName: recipe.presetName,
        docs: recipeDocuments(recipe, dataDir),
        out,
        report: o.report,
        log,
      });
      printExperiment(r, o.json ?? false);
    } finally {
      lock.release();
    }
  });
