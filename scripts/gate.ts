/**
 * `pnpm gate [recipe]`: the train-then-evaluate regression gate. Runs a fixed recipe from
 * data/gates/, compares every metric with the committed baseline and its tolerance, prints
 * pass/fail per metric and exits non-zero on any regression. `--update` measures and rewrites the
 * baseline instead, so a change of behaviour shows in review.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT, RhoError, resolveDataDir, runMain } from '@rho/core/base';
import { acquireOutputLock, initBackend, setPrecision } from '@rho/core';
import { demoHooks, stageProgress } from './demo/progress.ts';
import { parseCliArgs } from './demo/args.ts';
import { loadDemoRecipe } from './demo/recipe.ts';
import { compareToBaseline, loadBaseline, makeBaseline, requireMetrics, writeBaseline, type GateRow } from './gate/baseline.ts';
import { defaultRule, INJECTIONS, measureGate, PIPELINE_METRICS, type Injection } from './gate/measure.ts';
import { cpuIsa } from './bench/_isa.ts';

const GATES_DIR = resolve(REPO_ROOT, 'data/gates');

const HELP = `usage: pnpm gate [recipe] [options]

Train and evaluate the recipe data/gates/<recipe>.json (default: default), compare each metric with
data/gates/<recipe>.baseline.json, print pass/fail per metric; exit 1 on any regression.

options:
  --update            measure and rewrite the baseline (keeps each metric's tolerance)
  --out <dir>         run directory, cleared first (default: runs/gate-<recipe>)
  --baseline <file>   baseline to compare with or --update (default: data/gates/<recipe>.baseline.json)
  --data-dir <dir>    data directory with reference-outputs/ (default: $RHO_DATA_DIR, else data/upstream)
  --inject <kind>     inject a regression to check the gate catches it: ${INJECTIONS.join(', ')}
  --json              print one JSON object with every metric and verdict as the last line
  -h, --help          this text`;

function knownRecipes(): string[] {
  return existsSync(GATES_DIR)
    ? readdirSync(GATES_DIR)
        .filter((f) => f.endsWith('.json') && !f.endsWith('.baseline.json'))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

function printRows(rows: GateRow[]): void {
  const head = ['metric', 'baseline', 'value', 'tolerance', 'status'];
  const cells = rows.map((r) => [
    r.metric,
    fmt(r.baseline),
    fmt(r.value),
    `${r.better === 'equal' ? '±' : r.better === 'lower' ? '+' : '-'}${fmt(r.tolerance)}`,
    r.status,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  console.log(line(head));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const { values, positionals } = parseCliArgs(
    {
      options: {
        update: { type: 'boolean' },
        out: { type: 'string' },
        baseline: { type: 'string' },
        'data-dir': { type: 'string' },
        inject: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    },
    'gate',
  );
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length > 1) throw new RhoError('BAD_CONFIG', 'give at most one recipe name', { got: positionals.join(' ') });
  const name = positionals[0] ?? 'default';
  const file = join(GATES_DIR, `${name}.json`);
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', `unknown gate recipe "${name}"; known: ${knownRecipes().join(', ')}`, { file, field: 'recipe' });
  const inject = values.inject as Injection | undefined;
  if (inject !== undefined && !INJECTIONS.includes(inject))
    throw new RhoError('BAD_CONFIG', `unknown injection "${inject}"; known: ${INJECTIONS.join(', ')}`, { field: '--inject' });
  if (inject && values.update) throw new RhoError('BAD_CONFIG', '--inject measures a broken build; it cannot --update the baseline', { field: '--inject' });
  const recipe = loadDemoRecipe(file, name);
  const baselineFile = resolve(values.baseline ?? join(GATES_DIR, `${name}.baseline.json`));
  // a missing, malformed or incomplete baseline fails before minutes of training, not after
  const previous = values.update && !existsSync(baselineFile) ? undefined : loadBaseline(baselineFile);
  if (!values.update) requireMetrics(previous!, PIPELINE_METRICS, baselineFile);
  const dataDir = resolveDataDir(values['data-dir']);
  const out = resolve(values.out ?? `runs/gate-${name}`);
  setPrecision(recipe.precision);
  const backend = `${await initBackend()}, ${recipe.precision}`;
  const isa = cpuIsa();
  process.stderr.write(`gate ${name}${inject ? ` (injected: ${inject})` : ''}: ${isa}, run directory ${out}\n`);

  // taken before the directory is cleared: a second gate must not clear the first one's run
  const lock = acquireOutputLock(out, { warn: (l) => process.stderr.write(`${l}\n`) });
  const progress = stageProgress();
  const t0 = performance.now();
  let values_: Record<string, number>;
  try {
    values_ = await measureGate({ recipe, out, dataDir, inject, hooks: demoHooks(progress) });
  } finally {
    progress.stop();
    lock.release();
  }
  const seconds = (performance.now() - t0) / 1000;

  if (values.update) {
    const b = makeBaseline(name, values_, defaultRule, { date: new Date().toISOString().slice(0, 10), isa, backend }, previous);
    writeBaseline(baselineFile, b);
    printRows(compareToBaseline(b, values_));
    console.log(`\nwrote ${baselineFile} (${Object.keys(b.metrics).length} metrics, ${seconds.toFixed(0)} s); review and commit it`);
    if (values.json) console.log(JSON.stringify({ recipe: name, updated: true, metrics: values_, seconds }));
    return;
  }
  requireMetrics(previous!, Object.keys(values_), baselineFile);
  const rows = compareToBaseline(previous!, values_);
  printRows(rows);
  const failed = rows.filter((r) => r.status === 'FAIL');
  console.log(
    `\n${failed.length === 0 ? 'gate passed' : `gate FAILED: ${failed.map((r) => r.metric).join(', ')}`} (${rows.length} metrics, ${seconds.toFixed(0)} s)`,
  );
  if (values.json) console.log(JSON.stringify({ recipe: name, passed: failed.length === 0, rows, seconds }));
  if (failed.length > 0) process.exitCode = 1;
}

runMain(main, 'gate');
