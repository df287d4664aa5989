/**
 * `pnpm demo`: the project's main job end to end on a fresh clone, nothing downloaded. Generates the
 * built-in arith benchmark and an SLM corpus from it, trains a reference model on clean problems,
 * clm and slm on the noisy corpus from one initialisation, evaluates all three with cot and tora
 * through the harness, and prints one table.
 */
import { resolve } from 'node:path';
import { nonNegativeInt, REPO_ROOT, runMain } from '@rho/core/base';
import { acquireOutputLock, initBackend, removeStaleTemps, setPrecision } from '@rho/core';
import { DEMO_MODELS, runDemo, seeded, type DemoResult } from './demo/pipeline.ts';
import { demoHooks, stageProgress } from './demo/progress.ts';
import { parseCliArgs } from './demo/args.ts';
import { loadDemoRecipe } from './demo/recipe.ts';

const HELP = `usage: pnpm demo [options]

Train a reference, a clm and an slm model on the built-in arith benchmark's corpus, evaluate each
with cot and tora on held-out problems, print a table. Rerunning with the same --out resumes.

options:
  --recipe <file>   recipe JSON (default: data/demo.json)
  --seed <n>        seed for initialisation, data order, noise and training problems (default: the recipe's)
  --out <dir>       run directory (default: runs/demo-seed<seed>)
  --json            print one JSON object with every figure as the last line
  -h, --help        this text`;

export function demoTable(r: DemoResult): string {
  const head = ['model', 'tokens', 'val loss', `cot acc`, `tora acc`, 'time'];
  const rows = DEMO_MODELS.map((m) => {
    const x = r.models[m];
    return [m, String(x.tokens), x.val_loss === null ? '-' : x.val_loss.toFixed(4), x.cot_acc.toFixed(1), x.tora_acc.toFixed(1), `${x.seconds.toFixed(0)} s`];
  });
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** The figures a person or a script needs, without the experiment's internals. */
export function demoJson(r: DemoResult): Record<string, unknown> {
  const e = r.experiment;
  return {
    recipe: r.recipe,
    seed: r.seed,
    run_dir: r.run_dir,
    report: r.report,
    eval_problems: r.eval_problems,
    models: Object.fromEntries(DEMO_MODELS.map((m) => [m, { ...r.models[m] }])),
    slm_speedup: e.speedup,
    slm_step_to_clm_final: e.slm_step_to_clm_final,
    noise_precision: e.noise_precision,
    noise_recall: e.noise_recall,
    seconds: r.seconds,
  };
}

async function main(): Promise<void> {
  const { values } = parseCliArgs(
    {
      options: {
        recipe: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    },
    'demo',
  );
  if (values.help) {
    console.log(HELP);
    return;
  }
  const file = resolve(values.recipe ?? resolve(REPO_ROOT, 'data/demo.json'));
  let recipe = loadDemoRecipe(file, 'demo');
  if (values.seed !== undefined) {
    recipe = seeded(recipe, nonNegativeInt('--seed')(values.seed));
  }
  const out = resolve(values.out ?? `runs/demo-seed${recipe.preset.seed}`);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  setPrecision(recipe.precision);
  await initBackend();
  log(`demo: recipe ${file}, seed ${recipe.preset.seed}, run directory ${out}`);
  // one demo per run directory: a second one would train into the same checkpoints
  const lock = acquireOutputLock(out, { warn: log });
  let result: DemoResult;
  try {
    removeStaleTemps(out);
    const progress = stageProgress();
    result = await runDemo(recipe, out, demoHooks(progress));
    progress.stop();
  } finally {
    lock.release();
  }
  console.log(`\n${demoTable(result)}\n`);
  console.log(
    `cot and tora accuracy (%) on the first ${result.eval_problems} problems of the built-in arith test set; tokens trained; validation loss on clean held-out problems`,
  );
  if (result.report) console.log(`report: ${result.report}`);
  for (const m of DEMO_MODELS) console.log(`${m.padEnd(9)} ${result.models[m].checkpoint}`);
  console.log(`total ${result.seconds.toFixed(0)} s`);
  if (values.json) console.log(JSON.stringify(demoJson(result)));
}

runMain(main, 'demo');
